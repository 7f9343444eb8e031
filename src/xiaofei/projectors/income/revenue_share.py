"""Revenue share accrued (产品收益分红): a linked household's property income is its part of a product's benefit pool
in the month of the sales (``rules.consumption.split_pool``: ``revenue_share_rate`` of the month's recognised net
sales, ``linkage.collective_share`` to the village collective, the rest by weight, largest remainder). The facts
it needs are this projection's own copies (``projections/income/003_revenue_share.sql``), written by the
consumption projection's writers so both projections see the same sales; the seller's later payout (兑付) settles
an accrual and is not income again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.consumption.certification import Certification
from xiaofei.domain.consumption.channel import ChannelSale
from xiaofei.domain.consumption.orders import Order
from xiaofei.domain.consumption.products import Product
from xiaofei.projectors.consumption import facts as consumption
from xiaofei.projectors.consumption.derive import COUNTED, SALES_MONTH, eligible_households
from xiaofei.projectors.employment.lookups import ParamsByCounty
from xiaofei.rules.consumption import split_pool

POSITION = "xiaofei.position"
"""The setting the copied tables' ``recorded_at`` defaults to: the log position of the event being written."""


def _writer(e: Any) -> Any:
    """The consumption writer of an event a pool depends on: every certification event (the writer reads the status
    the steps leave), a product's listing and plan changes, the order steps a sale row is made of (placed,
    received, refunded) and channel sales. Other order steps, stock and price change nothing a pool is."""
    if isinstance(e, Certification.Event):
        return consumption.record_certification
    if isinstance(e, Product.Listed | Product.PlanChanged):
        return consumption.record_product
    if isinstance(e, Order.Placed | Order.Received | Order.Refunded):
        return consumption.record_order
    if isinstance(e, ChannelSale.Recorded):
        return consumption.record_channel
    return None


class Sales:
    """A batch's consumption facts: what they reach is the households named in the plans of the products whose
    sales, certificate periods or plans changed."""

    def __init__(self) -> None:
        self.dirty = consumption.Dirty()

    def record(self, cur: psycopg.Cursor[DictRow], e: Any, pos: int) -> bool:
        writer = _writer(e)
        if writer is None:
            return False
        if not isinstance(e, Order.Placed):  # writes orders and their lines only, which carry no position
            cur.execute("SELECT set_config(%s, %s, true)", (POSITION, str(pos)))
        writer(cur, e, self.dirty)
        return True

    def naming(self, cur: psycopg.Cursor[DictRow], households: set[tuple[str, str]]) -> None:
        """The products whose plans name these households (registered or recategorised): every household of those
        plans is recomputed, since who shares each pool moved."""
        if not households:
            return
        counties, numbers = zip(*sorted(households), strict=True)
        cur.execute("SELECT DISTINCT pl.product_id FROM product_plans pl JOIN products p USING (product_id),"
                    " jsonb_array_elements(pl.households) h WHERE (p.origin_county, h->>'household_number') IN"
                    " (SELECT * FROM unnest(%s::text[], %s::text[]))", (list(counties), list(numbers)))
        self.dirty.plans.update(r["product_id"] for r in cur.fetchall())

    def households(self, cur: psycopg.Cursor[DictRow]) -> set[tuple[str, str]]:
        d = self.dirty
        products = set(d.recount_products) | set(d.plans)
        if d.new_sales:
            cur.execute("SELECT DISTINCT product_id FROM sales WHERE sale_key = ANY(%s)", (sorted(d.new_sales),))
            products.update(r["product_id"] for r in cur.fetchall())
        if d.recount_sellers:
            cur.execute("SELECT product_id FROM products WHERE seller = ANY(%s)", (sorted(d.recount_sellers),))
            products.update(r["product_id"] for r in cur.fetchall())
        self.dirty = consumption.Dirty()
        if not products:
            return set()
        cur.execute("SELECT DISTINCT p.origin_county, h->>'household_number' AS number FROM product_plans pl"
                    " JOIN products p USING (product_id), jsonb_array_elements(pl.households) h"
                    " WHERE pl.product_id = ANY(%s)", (sorted(products, key=str),))
        return {(r["origin_county"], r["number"]) for r in cur.fetchall()}


SALE_KEYS = 20
"""A revenue-share line names at most this many of the sales behind it (``sale_keys``: ``order:<id>:<line>``,
``refund:<order>:<n>``, ``channel:<sale id>``; ``GET …/sales`` lists them all), beside their count."""

Share = tuple[int, str, int, dict[str, Any]]
"""(year, month, amount_fen, source) of one household's share of one pool."""


def accrued(cur: psycopg.Cursor[DictRow], params: ParamsByCounty) -> dict[tuple[str, str], list[tuple[str, Share]]]:
    """Each household being recomputed (``income_dirty``): its share of every pool of a product whose plan names
    it, keyed ``revenue_share:<product>:<month>``."""
    cur.execute("SELECT DISTINCT pl.product_id FROM product_plans pl JOIN products p USING (product_id),"
                " jsonb_array_elements(pl.households) h JOIN pg_temp.income_dirty d"
                " ON d.household_number = h->>'household_number' WHERE d.county = p.origin_county")
    products = sorted((r["product_id"] for r in cur.fetchall()), key=str)
    if not products:
        return {}
    cur.execute("SELECT * FROM products WHERE product_id = ANY(%s)", (products,))
    product = {r["product_id"]: r for r in cur.fetchall()}
    cur.execute("SELECT * FROM product_plans WHERE product_id = ANY(%s) ORDER BY product_id, effective_month DESC,"
                " version DESC", (products,))
    plans: dict[Any, list[DictRow]] = defaultdict(list)
    for r in cur.fetchall():
        plans[r["product_id"]].append(r)
    cur.execute(f"SELECT s.product_id, s.month, {SALES_MONTH} AS sales_month, sum(s.amount_fen) AS net,"  # noqa: S608
                f" count(*) AS sales, (array_agg(s.sale_key ORDER BY s.day, s.sale_key))[1:{SALE_KEYS}] AS sale_keys"
                f" FROM sales s WHERE s.product_id = ANY(%s) AND {COUNTED} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                (products,))
    cur_rows = cur.fetchall()
    cur.execute("SELECT county, household_number FROM pg_temp.income_dirty")
    wanted = {(r["county"], r["household_number"]) for r in cur.fetchall()}
    out: dict[tuple[str, str], list[tuple[str, Share]]] = defaultdict(list)
    for r in cur_rows:
        p, month, sales_month, net = product[r["product_id"]], r["month"], r["sales_month"], int(r["net"])
        # a refund of an earlier month's sale is split under that month's plan (``consumption.derive.recompute_pool``)
        plan = next((pl for pl in plans[r["product_id"]] if pl["effective_month"] <= sales_month), None)
        if net == 0 or plan is None or Decimal(plan["revenue_share_rate"]) <= 0:
            continue
        version = params.monthly(p["county"])(sales_month)["linkage.collective_share"]
        collective_share = version.typed()
        named = [(h["household_number"], int(h["weight"])) for h in plan["households"]]
        sharing = eligible_households(cur, params, p["origin_county"], named, sales_month)
        split = split_pool(net, Decimal(plan["revenue_share_rate"]), collective_share, sharing)
        for number, weight, fen in split.households:
            if (p["origin_county"], number) not in wanted:
                continue
            key = f"revenue_share:{r['product_id']}:{month}"
            earlier = {} if sales_month == month else {
                "sales_month": sales_month,
                "basis": f"refunds recorded in {month} of sales of {sales_month}, taken back under the plan that "
                         f"shared those sales"}
            out[(p["origin_county"], number)].append((key if not earlier else f"{key}:{sales_month}", (
                int(month[:4]), month, fen, {
                    "event": "recognised sales (Order.Received, Order.Refunded, ChannelSale.Recorded)",
                    "basis": "accrued in the month of the sales (产品收益分红); the seller's payout settles it",
                    "product_id": str(r["product_id"]), "seller": p["seller"], "month": month,
                    "sales": int(r["sales"]), "sale_keys": list(r["sale_keys"]), "net_sales_fen": net, "plan_version": plan["version"],
                    "revenue_share_rate": str(plan["revenue_share_rate"]), "pool_fen": split.pool_fen,
                    "collective_share": version.value, "collective_share_source": version.source,
                    "collective_fen": split.collective_fen, "weight": weight,
                    "total_weight": sum(w for _, w in sharing),
                    "pool": f"GET /counties/{p['county']}/revenue-pools", **earlier})))
    return out


def lines_of(shares: list[tuple[str, Share]]) -> Iterator[tuple[str, int, str, str, str, int, int, dict[str, Any]]]:
    for key, (year, month, fen, source) in shares:
        yield key, year, month, "property", "revenue_share", fen, 0, source
