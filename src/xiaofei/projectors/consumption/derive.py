"""What a batch's facts reach, recomputed from the tables at the end of the batch (so the rows never depend on where
a batch starts or ends): which sales count, the revenue-share pools and their split, and the integrity flags."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from xiaofei.projectors.consumption.facts import ALL_MONTHS, Dirty
from xiaofei.projectors.employment.lookups import ParamsByCounty, scope_prefix
from xiaofei.rules.consumption import COLLECTIVE, month_end, month_of, split_pool
from xiaofei.rules.parameters import parse_value

COUNTED = """
    EXISTS (SELECT 1 FROM cert_periods p JOIN certifications c USING (certification_id)
            WHERE c.subject = 'product' AND c.subject_id = s.product_id::text
              AND s.cert_day BETWEEN p.valid_from AND p.valid_to)
    AND EXISTS (SELECT 1 FROM cert_periods p JOIN certifications c USING (certification_id)
            WHERE c.subject = 'seller' AND c.subject_id = s.seller
              AND s.cert_day BETWEEN p.valid_from AND p.valid_to)"""
"""A sale counts when the product's and the seller's certificates both cover the day its certification is judged
(``cert_day``: an order's placement day — the status is captured when placed — a channel sale's day; a refund:
its sale's)."""


def derive(cur: psycopg.Cursor[DictRow], dirty: Dirty, new_sales: list[str]) -> None:
    params = ParamsByCounty(cur)
    day = judged_day(cur, dirty)
    if dirty.recount_sellers:
        cur.execute("SELECT product_id FROM products WHERE seller = ANY(%s)", (sorted(dirty.recount_sellers),))
        dirty.recount_products.update(r["product_id"] for r in cur.fetchall())
    recount(cur, dirty, new_sales)
    for scope in sorted(dirty.scopes.get("linkage.collective_share", ())):
        cur.execute("SELECT DISTINCT product_id, month FROM sales WHERE county LIKE %s", (scope_prefix(scope),))
        dirty.pools.update((r["product_id"], r["month"]) for r in cur.fetchall())
    for product in _products_in(cur, sorted(dirty.scopes.get("worker.eligible_categories", ())), "origin_county"):
        dirty.plans.add(product)  # who shares a pool follows the eligible categories: every month again
        dirty.plan_from(product, ALL_MONTHS)
    if dirty.households:  # one query for a whole import's households; a category decides who shares the pools
        counties, numbers = zip(*sorted(dirty.households), strict=True)
        cur.execute("SELECT DISTINCT p.product_id FROM product_plans p JOIN products USING (product_id),"
                    " jsonb_array_elements(p.households) h WHERE (origin_county, h->>'household_number') IN"
                    " (SELECT * FROM unnest(%s::text[], %s::text[]))", (list(counties), list(numbers)))
        for r in cur.fetchall():
            dirty.plans.add(r["product_id"])
            dirty.plan_from(r["product_id"], ALL_MONTHS)
    dirty.prices.update(_products_in(cur, sorted(dirty.scopes.get("product.price_band_pct", ())), "county"))
    for product, month in sorted(dirty.pools_from.items(), key=lambda kv: str(kv[0])):
        cur.execute("SELECT DISTINCT month FROM sales WHERE product_id = %s AND month >= %s"
                    " UNION SELECT month FROM pools WHERE product_id = %s AND month >= %s",
                    (product, month, product, month))
        dirty.pools.update((product, r["month"]) for r in cur.fetchall())
    for product, month in sorted(dirty.pools, key=lambda k: (str(k[0]), k[1])):
        recompute_pool(cur, params, product, month)
    capacity_flags(cur, dirty.capacity)
    price_flags(cur, params, dirty.prices, day)
    household_flags(cur, params, dirty.plans, day)


def recount(cur: psycopg.Cursor[DictRow], dirty: Dirty, new_sales: list[str]) -> None:
    """Set ``counted`` on new sales and on every sale of a product whose (or whose seller's) certificate periods
    changed; the pools of every month whose counted sales changed are recomputed, and the capacity checked."""
    changed: list[DictRow] = []
    if new_sales:
        cur.execute(f"UPDATE sales s SET counted = {COUNTED} WHERE sale_key = ANY(%s) RETURNING product_id, month",
                    (new_sales,))
        changed += cur.fetchall()
    if dirty.recount_products:
        cur.execute(f"UPDATE sales s SET counted = {COUNTED} WHERE product_id = ANY(%s)"
                    f" AND counted IS DISTINCT FROM ({COUNTED}) RETURNING product_id, month",
                    (sorted(dirty.recount_products, key=str),))
        changed += cur.fetchall()
    for r in changed:
        dirty.pools.add((r["product_id"], r["month"]))
        dirty.capacity.add(r["product_id"])


def _plan_for(cur: psycopg.Cursor[DictRow], product: UUID, month: str) -> DictRow | None:
    cur.execute("SELECT * FROM product_plans WHERE product_id = %s AND effective_month <= %s"
                " ORDER BY effective_month DESC, version DESC LIMIT 1", (product, month))
    return cur.fetchone()


def eligible_households(cur: psycopg.Cursor[DictRow], params: ParamsByCounty, origin_county: str,
                        plan: list[tuple[str, int]], month: str) -> list[tuple[str, int]]:
    """The plan's households that share a pool of ``month`` (the month of the sales), with their weights: those
    registered in the origin county by the month's last day (their registration's effective date) whose category
    then is one of ``worker.eligible_categories`` in force then. An ineligible household's weight goes to the
    eligible ones (none left: the households' part goes to the village collective). The benefit linkage is for
    registered poor and monitored households (《关于深入开展消费扶贫助力打赢脱贫攻坚战的指导意见》国办发〔2018〕129号;
    脱贫户 and 监测对象 in the transition, 中发〔2020〕30号). A household registered before the category history was
    kept (no registration row: a database projected before, until its rebuild) counts as registered, and a month
    before its first known category keeps its weight."""
    if not plan:
        return []
    last = month_end(month)
    cur.execute("SELECT n.number, h.household_number IS NOT NULL AS registered,"
                " (SELECT c.effective_from FROM household_categories c WHERE c.county = %s"
                "  AND c.household_number = n.number AND c.seq = 1) AS registered_from,"
                " (SELECT c.category FROM household_categories c WHERE c.county = %s AND c.household_number = n.number"
                "  AND c.effective_from <= %s ORDER BY c.effective_from DESC, c.seq DESC LIMIT 1) AS category"
                " FROM unnest(%s::text[]) n(number) LEFT JOIN households h ON h.county = %s"
                " AND h.household_number = n.number",
                (origin_county, origin_county, last, [n for n, _ in plan], origin_county))
    found = {r["number"]: r for r in cur.fetchall()}
    allowed = parse_value("worker.eligible_categories",
                          params.on(origin_county, last)["worker.eligible_categories"].value)

    def shares(number: str) -> bool:
        r = found[number]
        if not r["registered"] or (r["registered_from"] is not None and r["registered_from"] > last):
            return False
        return r["category"] is None or r["category"] in allowed

    return [(n, w) for n, w in plan if shares(n)]


SALES_MONTH = "to_char(s.sale_day, 'YYYY-MM')"
"""The month of the sale a row counts: its own month for a sale, its sale's for a refund."""


def recompute_pool(cur: psycopg.Cursor[DictRow], params: ParamsByCounty, product: UUID, month: str) -> None:
    """The product's pools of ``month``: one per month of the sales its counted rows belong to. A month's own sales
    are split under the plan and collective share in force in the month; a refund recorded in the month of a sale
    of an earlier month is split under that earlier month's plan and share, so it takes back what its sale gave,
    from the households it gave it to, in the month the refund is recorded (history is never rewritten)."""
    cur.execute("DELETE FROM pool_shares WHERE product_id = %s AND month = %s", (product, month))
    cur.execute("DELETE FROM pools WHERE product_id = %s AND month = %s", (product, month))
    cur.execute(f"SELECT {SALES_MONTH} AS sales_month, sum(s.amount_fen) AS net FROM sales s"  # noqa: S608
                " WHERE s.product_id = %s AND s.month = %s AND s.counted GROUP BY 1 ORDER BY 1", (product, month))
    parts = [(r["sales_month"], int(r["net"])) for r in cur.fetchall()]
    if not any(net for _, net in parts):
        return
    cur.execute("SELECT seller, county, origin_county FROM products WHERE product_id = %s", (product,))
    p = cur.fetchone()
    assert p is not None
    for sales_month, net in parts:
        plan = _plan_for(cur, product, sales_month)
        if net == 0 or plan is None or Decimal(plan["revenue_share_rate"]) <= 0:
            continue
        version = params.monthly(p["county"])(sales_month)["linkage.collective_share"]
        collective_share = parse_value("linkage.collective_share", version.value)
        named = [(h["household_number"], int(h["weight"])) for h in plan["households"]]
        households = eligible_households(cur, params, p["origin_county"], named, sales_month)
        split = split_pool(net, Decimal(plan["revenue_share_rate"]), collective_share, households)
        cur.execute("INSERT INTO pools (product_id, month, sales_month, seller, county, net_sales_fen, rate, pool_fen,"
                    " collective_share, collective_fen, plan_version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                    " %s)", (product, month, sales_month, p["seller"], p["county"], net, plan["revenue_share_rate"],
                             split.pool_fen, collective_share, split.collective_fen, plan["version"]))
        rows: list[tuple[Any, ...]] = [(product, month, sales_month, COLLECTIVE, None, 0, split.collective_fen)]
        rows += [(product, month, sales_month, number, p["origin_county"], weight, fen)
                 for number, weight, fen in split.households]
        cur.executemany("INSERT INTO pool_shares (product_id, month, sales_month, payee, household_county, weight,"
                        " amount_fen) VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)


def _set_flag(cur: psycopg.Cursor[DictRow], key: str, county: str, kind: str, subject: str, raised: bool,
              evidence: dict[str, Any]) -> None:
    """A flag's row exists exactly while it holds: a closed flag is deleted, not marked, so whether a row exists
    depends on the facts only, never on which batch saw the flag come and go."""
    if raised:
        cur.execute("INSERT INTO flags VALUES (%s, %s, %s, %s, %s) ON CONFLICT (flag_key) DO UPDATE"
                    " SET evidence = excluded.evidence", (key, county, kind, subject, Jsonb(evidence)))
    else:
        cur.execute("DELETE FROM flags WHERE flag_key = %s", (key,))


def capacity_flags(cur: psycopg.Cursor[DictRow], products: Iterable[UUID]) -> None:
    """Sales of a calendar year beyond the product's declared yearly capacity (quantities of counted sales)."""
    ids = sorted(products, key=str)
    if not ids:
        return
    cur.execute("SELECT p.product_id, p.county, p.name, p.unit, p.yearly_capacity, y.year, coalesce(y.sold, 0) AS sold"
                " FROM products p JOIN (SELECT product_id, extract(year FROM day)::int AS year, sum(quantity) AS sold"
                " FROM sales WHERE counted AND product_id = ANY(%s) GROUP BY 1, 2) y USING (product_id)"
                " ORDER BY 1, year", (ids,))
    found = cur.fetchall()
    # a year whose counted sales are all gone (a suspension dated back) is in no row: its flag goes too
    cur.execute("DELETE FROM flags WHERE kind = 'sales_beyond_capacity' AND subject = ANY(%s)"
                " AND flag_key <> ALL(%s)", ([str(i) for i in ids],
                                             [f"capacity:{r['product_id']}:{r['year']}" for r in found]))
    for r in found:
        _set_flag(cur, f"capacity:{r['product_id']}:{r['year']}", r["county"], "sales_beyond_capacity",
                  str(r["product_id"]), int(r["sold"]) > int(r["yearly_capacity"]),
                  {"product": r["name"], "year": r["year"], "sold": int(r["sold"]), "unit": r["unit"],
                   "yearly_capacity": int(r["yearly_capacity"])})


def judged_day(cur: psycopg.Cursor[DictRow], dirty: Dirty) -> date | None:
    """The day price and plan-household flags are judged on: the business day (Asia/Shanghai) of the latest event the
    projection has seen (``Dirty.log_day``, never going back). When it moves on, every product whose reference
    price, price band, plan household's category or eligible categories come into force (or a version ends) in
    between is judged again, so the flags at a log position are those of its day whatever the batching, and a
    fact dated in the future is not applied before its day."""
    cur.execute("SELECT day FROM judged_day")
    row = cur.fetchone()
    before: date | None = row["day"] if row else None
    if dirty.log_day is None or (before is not None and dirty.log_day <= before):
        return before
    day = dirty.log_day
    cur.execute("INSERT INTO judged_day (one, day) VALUES (true, %s) ON CONFLICT (one) DO UPDATE SET day = %s",
                (day, day))
    if before is None:  # the first day this projection judges on: every product once
        cur.execute("SELECT product_id FROM products")
        every = [r["product_id"] for r in cur.fetchall()]
        dirty.prices.update(every)
        dirty.plans.update(every)
        return day
    cur.execute("SELECT p.product_id FROM products p JOIN reference_prices r ON (r.county, r.category,"
                " r.specification, r.unit) = (p.county, p.category, p.specification, p.unit)"
                " WHERE r.effective_from > %s AND r.effective_from <= %s", (before, day))
    dirty.prices.update(r["product_id"] for r in cur.fetchall())
    cur.execute("SELECT DISTINCT pl.product_id FROM product_plans pl JOIN products p USING (product_id),"
                " jsonb_array_elements(pl.households) h JOIN household_categories c ON c.county = p.origin_county"
                " AND c.household_number = h->>'household_number' WHERE c.effective_from > %s"
                " AND c.effective_from <= %s", (before, day))
    dirty.plans.update(r["product_id"] for r in cur.fetchall())
    dirty.plans.update(_products_in(cur, _turning(cur, "worker.eligible_categories", before, day), "origin_county"))
    dirty.prices.update(_products_in(cur, _turning(cur, "product.price_band_pct", before, day), "county"))
    return day


def _turning(cur: psycopg.Cursor[DictRow], name: str, before: date, day: date) -> list[str]:
    """The scopes where a version of parameter ``name`` comes into force, or ends, after ``before`` up to ``day``."""
    cur.execute("SELECT DISTINCT scope FROM parameters WHERE name = %s AND ((effective_from > %s AND"
                " effective_from <= %s) OR (effective_to >= %s AND effective_to < %s))",
                (name, before, day, before, day))
    return sorted(r["scope"] for r in cur.fetchall())


def _products_in(cur: psycopg.Cursor[DictRow], scopes: Iterable[str], column: str) -> set[UUID]:
    """The products whose ``column`` (``county`` or ``origin_county``) lies in one of ``scopes``."""
    found: set[UUID] = set()
    for scope in scopes:
        cur.execute(f"SELECT product_id FROM products WHERE {column} LIKE %s",  # noqa: S608 - a fixed name
                    (scope_prefix(scope),))
        found.update(r["product_id"] for r in cur.fetchall())
    return found


def price_flags(cur: psycopg.Cursor[DictRow], params: ParamsByCounty, products: Iterable[UUID],
                day: date | None) -> None:
    """A product's price outside the band around the county's reference price, both as in force on the day judged
    (``judged_day``): a reference price dated later is not applied yet, and a band the county widened applies from
    its date. The county review's price check stays in the evidence (it was acknowledged then); it does not keep a
    product flagged once its price is inside the band in force."""
    for product in sorted(products, key=str):
        cur.execute("SELECT * FROM products WHERE product_id = %s", (product,))
        p = cur.fetchone()
        if p is None:
            continue
        on = max(day or p["listed_on"], p["listed_on"])
        cur.execute("SELECT price_check FROM certifications WHERE subject = 'product' AND subject_id = %s",
                    (str(product),))
        row = cur.fetchone()
        check = row["price_check"] if row else None
        cur.execute("SELECT price_fen, effective_from FROM reference_prices WHERE county = %s AND category = %s AND"
                    " specification = %s AND unit = %s AND effective_from <= %s"
                    " ORDER BY effective_from DESC, seq DESC LIMIT 1",
                    (p["county"], p["category"], p["specification"], p["unit"], on))
        reference = cur.fetchone()
        band = parse_value("product.price_band_pct", params.on(p["county"], on)["product.price_band_pct"].value)
        deviation = None
        if reference is not None:
            deviation = (Decimal(p["price_fen"]) - reference["price_fen"]) / reference["price_fen"]
        _set_flag(cur, f"price:{product}", p["county"], "price_outside_band", str(product),
                  deviation is not None and abs(deviation) > band,
                  {"product": p["name"], "price_fen": int(p["price_fen"]), "band": str(band),
                   "reference_price_fen": int(reference["price_fen"]) if reference else None,
                   "reference_from": reference["effective_from"].isoformat() if reference else None,
                   "deviation": f"{deviation:.4f}" if deviation is not None else None,
                   "price_check_at_review": check})


def household_flags(cur: psycopg.Cursor[DictRow], params: ParamsByCounty, products: Iterable[UUID],
                    day: date | None) -> None:
    """A household in a product's current linkage plan that does not share its pools in the month of the day
    judged (``judged_day``), by the rule the pools use (``eligible_households``): not registered in the origin
    county then, or of a category not in ``worker.eligible_categories`` then. Flag, split and obligations agree."""
    for product in sorted(products, key=str):
        cur.execute("SELECT * FROM products WHERE product_id = %s", (product,))
        p = cur.fetchone()
        if p is None:
            continue
        month = month_of(max(day or p["listed_on"], p["listed_on"]))
        cur.execute("SELECT households FROM product_plans WHERE product_id = %s ORDER BY version DESC LIMIT 1",
                    (product,))
        plan = cur.fetchone()
        named = sorted({h["household_number"] for h in (plan["households"] if plan else [])})
        sharing = {n for n, _ in eligible_households(cur, params, p["origin_county"], [(n, 1) for n in named],
                                                     month)}
        cur.execute("SELECT flag_key FROM flags WHERE flag_key LIKE %s", (f"household:{product}:%",))
        before = {r["flag_key"].rsplit(":", 1)[1] for r in cur.fetchall()}
        for number in sorted(set(named) | before):
            cur.execute("SELECT category FROM households WHERE county = %s AND household_number = %s",
                        (p["origin_county"], number))
            h = cur.fetchone()
            problem = None
            if number in named and number not in sharing:
                problem = ("not registered in the origin county" if h is None else
                           f"category {h['category']} is not one of the eligible categories in {month}")
            _set_flag(cur, f"household:{product}:{number}", p["county"], "plan_household_ineligible", str(product),
                      problem is not None,
                      {"product": p["name"], "household_number": number, "origin_county": p["origin_county"],
                       "category": h["category"] if h else None, "problem": problem,
                       "share": "accrues nothing while ineligible: its weight goes to the plan's eligible households "
                                "(to the village collective when none is left)" if problem else None})

