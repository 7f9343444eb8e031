"""Worker wage subsidy (工资补贴) and employer matching subsidy of whole worker-months, set-based: one
INSERT … SELECT over every slip a batch reaches, with the parameters in force resolved once per county-month.

The rule is ``rules.entitlements.wages.worker_month_lines`` (赣州市人社局等《关于进一步做好就业扶贫车间工作的通知》 and
the county's parameters): this statement computes the same amounts and eligibility; the Python function renders a
line's explanation when it is read (``render_wage_explanations``), from the same facts. Each line keeps the
operands of its arithmetic in typed columns (``base_fen``, ``rate``, ``uncapped_fen``, ``cap_fen``,
``month_uncapped_fen``, ``failed_checks``, ``parameters_on``): ``tests/integration/test_wage_rule_sql.py`` holds the
statement to the function over random worker-months.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow

from xiaofei.projectors.base import copy_rows
from xiaofei.projectors.employment.lookups import ParamsByCounty

WAGE_PARAMS_COLUMNS = ("county", "month", "categories", "min_age", "max_age_male", "max_age_female", "min_days",
                       "wage_floor_fen", "rate", "cap_fen", "ratio")

_TEMP_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS wage_months (county text NOT NULL, id_hash text NOT NULL, month text NOT NULL,
    PRIMARY KEY (county, id_hash, month)) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS wage_slips (LIKE slips) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS wage_people (id_hash text NOT NULL, month text NOT NULL, birth_date date NOT NULL,
    sex text NOT NULL, category text, PRIMARY KEY (id_hash, month)) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS wage_params (county text NOT NULL, month text NOT NULL, categories text[] NOT NULL,
    min_age integer NOT NULL, max_age_male integer NOT NULL, max_age_female integer NOT NULL, min_days integer,
    wage_floor_fen bigint, rate numeric NOT NULL, cap_fen bigint, ratio numeric NOT NULL,
    PRIMARY KEY (county, month)) ON COMMIT DROP;
TRUNCATE wage_months, wage_slips, wage_people, wage_params;
"""

# Every check of the rule, in the order the explanation lists them; a NULL outcome (no registry member: the
# category and age checks are not made) never fails a line on its own, since ``registered`` already has.
_PEOPLE = """
WITH wanted AS (
    SELECT DISTINCT id_hash, month, (to_date(month || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date AS last_day
    FROM wage_months
), person AS (
    -- the registry membership in force on the month's last day (joined by then, not yet left), first by
    -- county, household and member number when an ID number is a member of several households
    SELECT DISTINCT ON (m.id_hash, m.month) m.id_hash, m.month, p.county AS home, p.household_number,
           p.birth_date, p.sex, m.last_day
    FROM wanted m
    JOIN persons p ON p.id_hash = m.id_hash AND (p.left_on IS NULL OR p.left_on > m.last_day)
                  AND (p.joined_on IS NULL OR p.joined_on <= m.last_day)
    WHERE EXISTS (SELECT 1 FROM household_categories h
                  WHERE h.county = p.county AND h.household_number = p.household_number)
    ORDER BY m.id_hash, m.month, p.county COLLATE "C", p.household_number COLLATE "C", p.person_number COLLATE "C"
)
INSERT INTO wage_people
SELECT pe.id_hash, pe.month, pe.birth_date, pe.sex,
       (SELECT h.category FROM household_categories h
        WHERE h.county = pe.home AND h.household_number = pe.household_number AND h.effective_date <= pe.last_day
        ORDER BY h.version DESC LIMIT 1)
FROM person pe
"""

# Every check of the rule, in the order the explanation lists them; without a registry member the category and
# age checks are not made (``registered`` has already failed).
_COMPUTE = """
WITH ws AS (
    SELECT s.slip_id, s.county, s.organisation, s.workshop_id, s.month, s.id_hash, s.version, s.gross_fen,
           s.days_worked, s.voided, c.current, c.first_day, c.last_day,
           coalesce(sum(s.days_worked) FILTER (WHERE c.current) OVER wm, 0) AS month_days,
           coalesce(sum(s.gross_fen) FILTER (WHERE c.current) OVER wm, 0) AS month_gross
    FROM wage_slips s
    CROSS JOIN LATERAL (SELECT (s.verified_version IS NOT DISTINCT FROM s.version AND NOT s.voided) AS current,
                               to_date(s.month || '-01', 'YYYY-MM-DD') AS first_day,
                               (to_date(s.month || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date
                                   AS last_day) c
    WINDOW wm AS (PARTITION BY s.county, s.id_hash, s.month)
), certified AS (
    SELECT DISTINCT m.workshop_id, m.month
    FROM (SELECT DISTINCT workshop_id, month, last_day FROM ws) m
    JOIN workshop_certifications c ON c.workshop_id = m.workshop_id AND c.certified_on <= m.last_day
                                  AND (c.ends_on IS NULL OR c.ends_on > m.last_day)
), checked AS (
    SELECT ws.*, wp.rate, wp.cap_fen, wp.ratio,
           array_remove(ARRAY[
               CASE WHEN ws.voided THEN 'slip_current' END,
               CASE WHEN ce.workshop_id IS NULL THEN 'workshop_certified' END,
               CASE WHEN pe.id_hash IS NULL THEN 'registered' END,
               CASE WHEN pe.id_hash IS NOT NULL AND NOT coalesce(pe.category = ANY(wp.categories), false)
                    THEN 'category_eligible' END,
               CASE WHEN pe.id_hash IS NOT NULL AND NOT (ages.age >= wp.min_age AND ages.age <=
                        CASE WHEN pe.sex = 'M' THEN wp.max_age_male ELSE wp.max_age_female END)
                    THEN 'age_within_bounds' END,
               CASE WHEN NOT ws.current THEN 'bank_verified' END,
               CASE WHEN wp.min_days IS NOT NULL AND ws.month_days < wp.min_days THEN 'min_days' END,
               CASE WHEN wp.wage_floor_fen IS NOT NULL AND ws.month_gross < wp.wage_floor_fen THEN 'wage_floor' END
           ], NULL) AS failed
    FROM ws
    JOIN wage_params wp USING (county, month)
    LEFT JOIN wage_people pe ON pe.id_hash = ws.id_hash AND pe.month = ws.month
    LEFT JOIN certified ce ON ce.workshop_id = ws.workshop_id AND ce.month = ws.month
    LEFT JOIN LATERAL (SELECT extract(year FROM ws.first_day)::int - extract(year FROM pe.birth_date)::int
                              - (CASE WHEN (extract(month FROM ws.first_day), extract(day FROM ws.first_day))
                                           < (extract(month FROM pe.birth_date), extract(day FROM pe.birth_date))
                                      THEN 1 ELSE 0 END) AS age) ages ON true
), uncapped AS (
    SELECT c.*, cardinality(c.failed) = 0 AS eligible,
           CASE WHEN cardinality(c.failed) = 0 THEN round(c.rate * c.gross_fen)::bigint ELSE 0 END AS uncapped_fen
    FROM checked c
), shared AS (
    -- the monthly cap binds on the worker's month: shares in proportion to the uncapped amounts, floors first,
    -- then one fen each to the largest remainders (ties by slip id as text)
    SELECT u.*, sum(u.uncapped_fen) OVER wm AS month_uncapped_fen,
           (u.cap_fen IS NOT NULL AND sum(u.uncapped_fen) OVER wm > u.cap_fen) AS capped
    FROM uncapped u WINDOW wm AS (PARTITION BY u.county, u.id_hash, u.month)
), parts AS (
    SELECT s.*, CASE WHEN s.capped THEN div(s.cap_fen::numeric * s.uncapped_fen, s.month_uncapped_fen) END AS floor_fen,
           CASE WHEN s.capped THEN mod(s.cap_fen::numeric * s.uncapped_fen, s.month_uncapped_fen) END AS remainder
    FROM shared s
), ranked AS (
    SELECT p.*, row_number() OVER (PARTITION BY p.county, p.id_hash, p.month
                                   ORDER BY p.remainder DESC, p.slip_id::text COLLATE "C") AS place,
           p.cap_fen - sum(p.floor_fen) OVER (PARTITION BY p.county, p.id_hash, p.month) AS leftover
    FROM parts p
), worker AS (
    SELECT r.*, CASE WHEN r.capped THEN (r.floor_fen + CASE WHEN r.place <= r.leftover THEN 1 ELSE 0 END)::bigint
                     ELSE r.uncapped_fen END AS worker_fen
    FROM ranked r
)
INSERT INTO entitlements (slip_id, subsidy, county, organisation, workshop_id, month, payee, id_hash, slip_version,
                          amount_fen, eligible, explanation, base_fen, days_worked, rate, uncapped_fen, cap_fen,
                          month_uncapped_fen, failed_checks, parameters_on)
SELECT w.slip_id, k.subsidy, w.county, w.organisation, w.workshop_id, w.month, k.payee, w.id_hash, w.version,
       CASE k.subsidy WHEN 'worker_wage' THEN w.worker_fen ELSE round(w.ratio * w.worker_fen)::bigint END,
       w.eligible, NULL,
       CASE k.subsidy WHEN 'worker_wage' THEN w.gross_fen ELSE w.worker_fen END, w.days_worked,
       CASE k.subsidy WHEN 'worker_wage' THEN w.rate ELSE w.ratio END,
       w.uncapped_fen, w.cap_fen, w.month_uncapped_fen, w.failed, w.last_day
FROM worker w CROSS JOIN (VALUES ('worker_wage', 'worker'), ('employer_match', 'employer')) AS k(subsidy, payee)
"""


def wage_lines(cur: psycopg.Cursor[DictRow], workshop_ids: list[UUID], months: list[str]) -> set[UUID]:
    """Replace the wage-subsidy and matching lines of every worker-month (county, worker, month) that has a slip
    in one of the given workshop-months: caps, minimum days and wage floors apply to the worker's month across
    all their slips in the county, so a change to one slip can change the worker's lines in other workshops.
    Returns the workshops whose lines were replaced."""
    cur.execute(_TEMP_TABLES)
    # Two plain joins rather than one row-value IN: the planner has no statistics for slips loaded in this very
    # transaction, and the IN form degenerated to a nested loop over every slip at month end.
    cur.execute("INSERT INTO wage_months SELECT DISTINCT t.county, t.id_hash, t.month FROM slips t"
                " JOIN unnest(%s::uuid[], %s::text[]) AS d(workshop_id, month)"
                " ON t.workshop_id = d.workshop_id AND t.month = d.month", (workshop_ids, months))
    if not cur.rowcount:
        return set()
    # The worker-months' slips in a table of their own, with statistics: the slips table may hold rows loaded in
    # this very transaction, which its statistics do not know of (the planner chose nested loops over them)
    # (the subquery is kept apart with OFFSET 0 so that it is probed by worker and month: unfenced, the planner
    # probed the county's month and filtered thousands of rows a worker)
    cur.execute("INSERT INTO wage_slips SELECT s.* FROM wage_months w CROSS JOIN LATERAL (SELECT * FROM slips s"
                " WHERE s.id_hash = w.id_hash AND s.month = w.month OFFSET 0) s WHERE s.county = w.county")
    cur.execute("ANALYZE wage_slips")
    cur.execute("SELECT DISTINCT county, month FROM wage_months")
    params = ParamsByCounty(cur)
    copy_rows(cur, "wage_params", [_month_params(params, r["county"], r["month"]) for r in cur.fetchall()],
              WAGE_PARAMS_COLUMNS)
    cur.execute("DELETE FROM entitlements e USING wage_slips s"
                " WHERE e.slip_id = s.slip_id AND e.subsidy IN ('worker_wage', 'employer_match')")
    cur.execute(_PEOPLE)
    cur.execute("ANALYZE wage_people")
    cur.execute(_COMPUTE)
    cur.execute("SELECT DISTINCT workshop_id FROM wage_slips")
    return {r["workshop_id"] for r in cur.fetchall()}


def _month_params(params: ParamsByCounty, county: str, month: str) -> tuple[Any, ...]:
    """The wage rule's parameters in force on the month's last day, typed (one row a county-month)."""
    values = {name: version.typed() for name, version in params.monthly(county)(month).items()}
    return (county, month, list(values["worker.eligible_categories"]), values["worker.min_age"],
            values["worker.max_age_male"], values["worker.max_age_female"], values["subsidy.worker_min_days"],
            values["subsidy.worker_wage_floor_fen"], values["subsidy.worker_wage_rate"],
            values["subsidy.worker_wage_cap_fen"], values["subsidy.employer_match_ratio"])
