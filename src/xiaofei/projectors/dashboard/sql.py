"""The county dashboard's statements: sums and counts over the upstream read models for the counties being
recomputed (``pg_temp.dashboard_dirty``). Additive figures are first written per village (or county) into a long
staging table (``pg_temp.dashboard_metric``) and summed up to each area; counts of distinct things (households
reached, certified products) are counted per area directly."""

from __future__ import annotations

from xiaofei.rules.consumption import SALE_LINE

E, C, I, R = "rm_employment", "rm_consumption", "rm_income", "rm_registry"
UPSTREAM = ("registry", "employment", "consumption", "income")
"""The projections whose tables these statements read; a batch never goes past the position all of them reached."""

TEMP = [
    "CREATE TEMP TABLE IF NOT EXISTS dashboard_dirty (county text PRIMARY KEY) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS dashboard_months (county text, month text, month_end date,"
    " PRIMARY KEY (county, month)) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS dashboard_metric (county text, area_level text, area_code text, month text,"
    " metric text, value bigint) ON COMMIT DELETE ROWS",
]

TABLES = ("area_months", "reach_years", "sales_breakdown", "reserved_share_years", "household_flag_counts", "income_years",
          "county_totals")


def areas(county: str, village: str) -> str:
    """A fact's areas: its county, and its township and village when the village is one of that county's."""
    inside = f"length({village}) = 12 AND left({village}, 6) = {county}"
    return (f" CROSS JOIN LATERAL (VALUES ('county', {county}), ('township', CASE WHEN {inside} THEN"
            f" left({village}, 9) END), ('village', CASE WHEN {inside} THEN {village} END)) AS a(area_level, area_code)")


AREA = " WHERE a.area_code IS NOT NULL"
DIRTY = "(SELECT county FROM pg_temp.dashboard_dirty)"
MONTH_END = "(to_date(month || '-01', 'YYYY-MM-DD') + interval '1 month' - interval '1 day')::date"

MONEY = (  # money reaching households (利益联结): pool shares accrued, procurement, rent and dividends paid
    f"SELECT ps.household_county AS county, ps.payee, ps.month, ps.amount_fen FROM {C}.pool_shares ps"
    f" WHERE ps.payee <> 'collective' AND ps.household_county IN {DIRTY}"
    f" UNION ALL SELECT lp.payee_county, lp.payee, to_char(lp.paid_on, 'YYYY-MM'), lp.amount_fen"
    f" FROM {C}.linkage_payments lp WHERE lp.kind IN ('procurement', 'land_rent', 'dividend')"
    f" AND lp.payee <> 'collective' AND lp.payee_county IN {DIRTY}")

MONTHS = f"""
INSERT INTO pg_temp.dashboard_months
SELECT county, month, {MONTH_END} FROM (
    SELECT county, month FROM {C}.sales WHERE county IN {DIRTY}
    UNION SELECT county, month FROM ({MONEY}) m
    UNION SELECT county, month FROM {E}.slips WHERE county IN {DIRTY}
    UNION SELECT county, month FROM {E}.entitlements WHERE county IN {DIRTY}
    UNION SELECT c.county, l.month FROM {E}.claim_lines l JOIN {E}.claims c USING (claim_id) WHERE c.county IN {DIRTY}
    UNION SELECT c.county, to_char(p.paid_on, 'YYYY-MM') FROM {E}.claim_payments p JOIN {E}.claims c USING (claim_id)
          WHERE c.county IN {DIRTY}
) m WHERE month ~ '^[0-9]{{4}}-(0[1-9]|1[0-2])$'"""

CERTIFIED = (
    "EXISTS (SELECT 1 FROM {C}.certifications c JOIN {C}.cert_periods cp USING (certification_id)"
    " WHERE c.subject = '{subject}' AND c.subject_id = {subject_id} AND m.month_end BETWEEN cp.valid_from AND cp.valid_to)")

METRICS = [
    # recognised sales (统计口径: counted sales only), by the product's origin village
    f"""INSERT INTO pg_temp.dashboard_metric
    SELECT s.county, a.area_level, a.area_code, s.month, v.metric, v.value
    FROM (SELECT county, village, month, sum(amount_fen) AS fen, count(*) FILTER (WHERE {SALE_LINE}) AS n
          FROM {C}.sales
          WHERE counted AND county IN {DIRTY} GROUP BY county, village, month) s
    {areas('s.county', 's.village')}
    CROSS JOIN LATERAL (VALUES ('sales_fen', s.fen), ('sales_lines', s.n)) AS v(metric, value){AREA}""",
    # certified sellers on the month's last day (county level: a seller has no village)
    f"""INSERT INTO pg_temp.dashboard_metric
    SELECT m.county, 'county', m.county, m.month, 'certified_sellers',
           (SELECT count(*) FROM {C}.certifications c WHERE c.subject = 'seller' AND c.county = m.county
            AND EXISTS (SELECT 1 FROM {C}.cert_periods p WHERE p.certification_id = c.certification_id
                        AND m.month_end BETWEEN p.valid_from AND p.valid_to))
    FROM pg_temp.dashboard_months m""",
    # certified products on the month's last day, listed and not delisted then, of a seller certified then (a
    # revoked seller's products stop counting), by origin village
    f"""INSERT INTO pg_temp.dashboard_metric
    SELECT m.county, a.area_level, a.area_code, m.month, 'certified_products', count(*)
    FROM pg_temp.dashboard_months m JOIN {C}.products p ON p.county = m.county AND p.listed_on <= m.month_end
         AND (p.delisted_on IS NULL OR p.delisted_on > m.month_end)
         AND {CERTIFIED.format(C=C, subject='product', subject_id='p.product_id::text')}
         AND {CERTIFIED.format(C=C, subject='seller', subject_id='p.seller')}
    {areas('p.county', 'p.origin_village')}{AREA}
    GROUP BY m.county, a.area_level, a.area_code, m.month""",
    # households reached and money attributed, by the household's village
    f"""INSERT INTO pg_temp.dashboard_metric
    SELECT h.county, a.area_level, a.area_code, h.month, v.metric, v.value
    FROM (SELECT m.county, m.month, r.village_code, count(*) FILTER (WHERE m.fen <> 0) AS reached,
                 sum(m.fen) AS fen
          FROM (SELECT county, payee, month, sum(amount_fen) AS fen FROM ({MONEY}) x GROUP BY county, payee, month) m
          LEFT JOIN {R}.households r ON r.county = m.county AND r.household_number = m.payee
          GROUP BY m.county, m.month, r.village_code) h
    {areas('h.county', 'h.village_code')}
    CROSS JOIN LATERAL (VALUES ('households_reached', h.reached), ('attributed_fen', h.fen)) AS v(metric, value)
    {AREA}""",
    # workshop months: reporting, meeting the criteria, staff and qualifying workers, by the workshop's village
    f"""INSERT INTO pg_temp.dashboard_metric
    SELECT w.county, a.area_level, a.area_code, wm.month, v.metric, v.value
    FROM {E}.workshop_months wm JOIN {E}.workshops w USING (workshop_id)
    {areas('w.county', 'w.village_code')}
    CROSS JOIN LATERAL (VALUES ('workshops_reporting', 1), ('workshops_eligible', wm.meets_criteria::int),
                               ('workers_total', wm.staff), ('workers_poor', wm.qualifying_workers)) AS v(metric, value)
    WHERE a.area_code IS NOT NULL AND w.county IN {DIRTY}""",
    # workshops certified (扶贫车间认定) on the month's last day
    f"""INSERT INTO pg_temp.dashboard_metric
    SELECT m.county, a.area_level, a.area_code, m.month, 'workshops_certified', count(DISTINCT w.workshop_id)
    FROM pg_temp.dashboard_months m JOIN {E}.workshops w ON w.county = m.county
    JOIN {E}.workshop_certifications c ON c.workshop_id = w.workshop_id AND c.certified_on <= m.month_end
         AND (c.ends_on IS NULL OR c.ends_on > m.month_end)
    {areas('w.county', 'w.village_code')}{AREA}
    GROUP BY m.county, a.area_level, a.area_code, m.month""",
    # wages: the gross pay of the month's current slips, voided ones left out
    f"""INSERT INTO pg_temp.dashboard_metric
    SELECT s.county, a.area_level, a.area_code, s.month, v.metric, v.value
    FROM (SELECT s.county, w.village_code, s.month, sum(s.gross_fen) AS fen, count(*) AS n FROM {E}.slips s
          LEFT JOIN {E}.workshops w USING (workshop_id) WHERE NOT s.voided AND s.county IN {DIRTY}
          GROUP BY s.county, w.village_code, s.month) s
    {areas('s.county', 's.village_code')}
    CROSS JOIN LATERAL (VALUES ('wages_fen', s.fen), ('slips', s.n)) AS v(metric, value){AREA}""",
    # subsidies entitled (eligible entitlement lines) and claimed (lines not rejected)
    f"""INSERT INTO pg_temp.dashboard_metric
    SELECT x.county, a.area_level, a.area_code, x.month, x.metric, x.fen
    FROM (SELECT e.county, w.village_code, e.month, 'subsidies_entitled_fen' AS metric, sum(e.amount_fen) AS fen
          FROM {E}.entitlements e LEFT JOIN {E}.workshops w USING (workshop_id) WHERE e.eligible AND e.county IN {DIRTY}
          GROUP BY e.county, w.village_code, e.month
          UNION ALL
          SELECT c.county, w.village_code, l.month, 'subsidies_claimed_fen', sum(l.amount_fen)
          FROM {E}.claim_lines l JOIN {E}.claims c USING (claim_id) LEFT JOIN {E}.workshops w ON w.workshop_id = l.workshop_id
          WHERE l.rejected_reason IS NULL AND c.county IN {DIRTY} GROUP BY c.county, w.village_code, l.month) x
    {areas('x.county', 'x.village_code')}{AREA}""",
    # subsidies paid, by the payment's month (county level: a payment names a payee, not a workshop)
    f"""INSERT INTO pg_temp.dashboard_metric
    SELECT m.county, 'county', m.county, m.month, 'subsidies_paid_fen',
           coalesce((SELECT sum(p.amount_fen) FROM {E}.claim_payments p JOIN {E}.claims c USING (claim_id)
                     WHERE c.county = m.county AND to_char(p.paid_on, 'YYYY-MM') = m.month), 0)
    FROM pg_temp.dashboard_months m""",
]

SUM = "coalesce(sum(value) FILTER (WHERE metric = '{0}'), 0)"
PIVOT = f"""
INSERT INTO area_months
SELECT county, area_level, area_code, month,
       sum(value) FILTER (WHERE metric = 'certified_sellers'),
       {SUM.format('certified_products')}, {SUM.format('sales_fen')}, {SUM.format('sales_lines')},
       {SUM.format('households_reached')}, {SUM.format('attributed_fen')}, {SUM.format('workshops_reporting')},
       {SUM.format('workshops_certified')}, {SUM.format('workshops_eligible')}, {SUM.format('workers_total')},
       {SUM.format('workers_poor')}, {SUM.format('wages_fen')}, {SUM.format('slips')},
       CASE WHEN {SUM.format('slips')} > 0 THEN round({SUM.format('wages_fen')}::numeric / {SUM.format('slips')}) END,
       {SUM.format('subsidies_entitled_fen')}, {SUM.format('subsidies_claimed_fen')},
       sum(value) FILTER (WHERE metric = 'subsidies_paid_fen')
FROM pg_temp.dashboard_metric
WHERE month IN (SELECT month FROM pg_temp.dashboard_months d WHERE d.county = dashboard_metric.county)
GROUP BY county, area_level, area_code, month"""

BREAKDOWN = f"""
INSERT INTO sales_breakdown
SELECT s.county, a.area_level, a.area_code, s.month, d.dimension, d.key, sum(s.amount_fen),
       count(*) FILTER (WHERE {SALE_LINE})
FROM {C}.sales s
{areas('s.county', 's.village')}
CROSS JOIN LATERAL (VALUES ('category', s.category), ('buyer_type', s.buyer_type),
                           ('tag', coalesce(s.tag, 'none')), ('channel', s.channel)) AS d(dimension, key)
WHERE a.area_code IS NOT NULL AND s.counted AND s.county IN {DIRTY}
GROUP BY s.county, a.area_level, a.area_code, s.month, d.dimension, d.key"""

RESERVED = f"""
INSERT INTO reserved_share_years
WITH units AS (SELECT buyer_key, county FROM {C}.buyers WHERE buyer_type = 'budget_unit' AND county IN {DIRTY}),
credited AS (
    SELECT coalesce(f2.shared_with, s.budget_unit) AS unit, extract(year FROM s.day)::int AS year, s.amount_fen
    FROM {C}.sales s LEFT JOIN {C}.share_filings f2 ON f2.buyer_key = s.budget_unit
         AND f2.year = extract(year FROM s.day)::int AND f2.kind = 'shared_canteen'
    WHERE s.counted AND s.budget_unit IS NOT NULL
      AND coalesce(f2.shared_with, s.budget_unit) IN (SELECT buyer_key FROM units)),
per_unit AS (
    SELECT u.county, y.year, u.buyer_key, f.kind, coalesce(f.reserved_fen, 0) AS reserved,
           coalesce((SELECT sum(c.amount_fen) FROM credited c WHERE c.unit = u.buyer_key AND c.year = y.year), 0)
               AS purchased
    FROM units u
    JOIN (SELECT f.year, u.county FROM {C}.share_filings f JOIN units u USING (buyer_key)
          UNION SELECT c.year, u.county FROM credited c JOIN units u ON u.buyer_key = c.unit) y ON y.county = u.county
    LEFT JOIN {C}.share_filings f ON f.buyer_key = u.buyer_key AND f.year = y.year)
SELECT county, year, count(*), count(kind), count(*) FILTER (WHERE kind = 'no_canteen'), sum(reserved),
       sum(purchased), count(*) FILTER (WHERE reserved > 0 AND purchased >= reserved)
FROM per_unit GROUP BY county, year"""

HOUSEHOLD_FLAGS = f"""
INSERT INTO household_flag_counts
SELECT f.county, a.area_level, a.area_code, f.year, f.flag, count(*)
FROM {I}.flags f JOIN {I}.household_years y USING (county, household_number, year)
{areas('y.county', 'y.village_code')}
WHERE a.area_code IS NOT NULL AND f.county IN {DIRTY}
GROUP BY f.county, a.area_level, a.area_code, f.year, f.flag"""

INCOME = f"""
INSERT INTO income_years
SELECT y.county, a.area_level, a.area_code, y.year, count(*), sum(y.members), sum(y.net_fen),
       count(*) FILTER (WHERE y.per_capita_net_fen < y.poverty_line_fen),
       count(*) FILTER (WHERE y.per_capita_net_fen IS NOT NULL AND y.per_capita_net_fen < y.threshold_fen
                        AND NOT coalesce(y.per_capita_net_fen < y.poverty_line_fen, false)),
       count(*) FILTER (WHERE y.per_capita_net_fen IS NOT NULL AND NOT coalesce(y.per_capita_net_fen < y.threshold_fen, false)
                        AND NOT coalesce(y.per_capita_net_fen < y.poverty_line_fen, false)),
       count(*) FILTER (WHERE y.per_capita_net_fen IS NULL)
FROM {I}.household_years y
{areas('y.county', 'y.village_code')}
WHERE a.area_code IS NOT NULL AND y.county IN {DIRTY}
GROUP BY y.county, a.area_level, a.area_code, y.year"""

OPEN_FLAGS = [  # every county, every batch: an event of one county can raise a flag in another (the same ID
    # number registered in two counties' households), and the flag tables are small
    "DELETE FROM open_flags",
    f"""INSERT INTO open_flags
    SELECT county, 'employment', kind, count(*) FROM {E}.flags GROUP BY county, kind
    UNION ALL
    SELECT county, 'consumption', kind, count(*) FROM {C}.flags GROUP BY county, kind""",
]

TOTALS = f"""
INSERT INTO county_totals
SELECT o.county, sum(r.opened_fen), sum(r.settled_fen)
FROM {E}.recoveries r JOIN {E}.organisations o ON o.credit_code = r.organisation
WHERE o.county IN {DIRTY} GROUP BY o.county"""

REACH = f"""
INSERT INTO reach_years
SELECT h.county, a.area_level, a.area_code, h.year, count(*) FILTER (WHERE h.fen <> 0), sum(h.fen)
FROM (SELECT m.county, m.payee, left(m.month, 4)::int AS year, r.village_code, sum(m.amount_fen) AS fen
      FROM ({MONEY}) m LEFT JOIN {R}.households r ON r.county = m.county AND r.household_number = m.payee
      GROUP BY m.county, m.payee, left(m.month, 4), r.village_code) h
{areas('h.county', 'h.village_code')}{AREA}
GROUP BY h.county, a.area_level, a.area_code, h.year"""

DERIVE = [MONTHS, *METRICS, PIVOT, REACH, BREAKDOWN, RESERVED, HOUSEHOLD_FLAGS, INCOME, TOTALS]
