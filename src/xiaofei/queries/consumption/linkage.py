"""What a seller owes the households of its benefit linkage, and what linkage brought each household.

Per product and payee: accrued is the payee's (a household's or the collective's) part of the product's
revenue-share pools; paid is the seller's payouts to that payee net of its recoveries (追回); accrued − paid is
``owed`` when positive and ``to_recover`` when negative (a refund after the payout took back a share already paid:
an open recovery until later accruals or a recovery settle it). A payee's line sums its products' owed and
to_recover (a recovery on one product never hides what another owes). Payouts settle the oldest months first: the
oldest month still unpaid is ``oldest_unpaid_month``, and the line is ``overdue`` when that month ended more than
``linkage.owed_flag_days`` days before today (Asia/Shanghai) — a flag that depends on today, computed here.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from xiaofei.domain.consumption.categories import category_of
from xiaofei.queries import paging
from xiaofei.rules.consumption import month_end, owed_since
from xiaofei.rules.money import yuan

S = "rm_consumption"


class ProductObligation(msgspec.Struct, kw_only=True):
    product_id: UUID
    accrued_fen: int
    paid_fen: int
    """Payouts net of recoveries."""
    owed_fen: int
    to_recover_fen: int
    """Paid beyond what is accrued (a refund after the payout): to be settled by later accruals or a recovery."""
    oldest_unpaid_month: str | None


class Obligation(msgspec.Struct, kw_only=True):
    seller: str
    household_county: str | None
    """The payee household's county: the product's origin county (a declared 脱贫县 may differ from the seller's);
    null for the collective."""
    payee: str
    """A household number, or ``collective``."""
    accrued_fen: int
    paid_fen: int
    """Payouts net of recoveries."""
    owed_fen: int
    """What the seller still owes the payee, summed over its products (never negative)."""
    owed_yuan: str
    to_recover_fen: int
    """What the payee was paid beyond its accrued share, summed over products (never negative):
    accrued − paid = owed − to_recover."""
    recovery_open: bool
    """A recovery (追回) is open: shown as the flag ``revenue_share_recovery_open`` too."""
    oldest_unpaid_month: str | None
    overdue: bool
    """Revenue share owed longer than ``linkage.owed_flag_days`` after the end of the month it accrued in."""
    products: list[ProductObligation]
    """The same figures per product: a payout or a recovery settles one product's share."""
    accruals: list[dict[str, Any]]
    """The pools behind the accrued amount: product, month, the month of the sales, fen (GET …/revenue-pools shows
    each split)."""
    payouts: list[dict[str, Any]]
    """The payout and recovery records behind the paid amount: kind, reference, date, fen."""


class ObligationPage(msgspec.Struct, kw_only=True):
    items: list[Obligation]
    next_after: str | None
    owed_flag_days: int


def _product_obligation(product: str, accruals: list[dict[str, Any]], paid: int) -> ProductObligation:
    by_month: dict[str, int] = {}
    for a in accruals:
        by_month[a["month"]] = by_month.get(a["month"], 0) + int(a["amount_fen"])
    accrued = sum(by_month.values())
    owed, oldest = owed_since(sorted(by_month.items()), paid)
    return ProductObligation(product_id=UUID(product), accrued_fen=accrued, paid_fen=paid, owed_fen=owed,
                             to_recover_fen=max(paid - accrued, 0), oldest_unpaid_month=oldest)


async def obligations(pool: asyncpg.Pool, *, today: date, owed_flag_days: int, county: str | None = None,
                      seller: str | None = None, payee: str | None = None, after: str | None = None,
                      limit: int = 100) -> ObligationPage:
    key = paging.parse(after, paging.text, paging.text, paging.text)
    rows = await pool.fetch(
        "WITH acc AS (SELECT o.seller, coalesce(s.household_county, '') AS payee_county, s.payee,"
        " json_agg(json_build_object('product_id', s.product_id, 'month', s.month, 'sales_month', s.sales_month,"
        " 'amount_fen', s.amount_fen) ORDER BY s.month, s.product_id, s.sales_month) AS accruals"
        f" FROM {S}.pool_shares s JOIN {S}.pools o USING (product_id, month, sales_month)"
        " WHERE ($1::text IS NULL OR o.county = $1) AND ($2::text IS NULL OR o.seller = $2)"
        " AND ($3::text IS NULL OR s.payee = $3) GROUP BY 1, 2, 3),"
        " paid AS (SELECT seller, payee_county, payee, json_agg(json_build_object('kind', kind, 'reference',"
        " reference, 'paid_on', paid_on, 'amount_fen', amount_fen, 'product_id', product_id)"
        " ORDER BY paid_on, reference) AS payouts"
        f" FROM {S}.linkage_payments WHERE kind IN ('revenue_share_payout', 'revenue_share_recovery')"
        " AND ($1::text IS NULL OR county = $1) AND ($2::text IS NULL OR seller = $2)"
        " AND ($3::text IS NULL OR payee = $3) GROUP BY 1, 2, 3)"
        " SELECT seller, payee_county, payee, coalesce(a.accruals, '[]') AS accruals,"
        " coalesce(p.payouts, '[]') AS payouts FROM acc a FULL JOIN paid p USING (seller, payee_county, payee)"
        " WHERE (seller, payee_county, payee) > ($4, $5, $6) ORDER BY 1, 2, 3 LIMIT $7",
        county, seller, payee, *(key or ["", "", ""]), limit + 1)
    items = []
    for r in rows:
        accruals = json.loads(r["accruals"])
        payouts = json.loads(r["payouts"])
        paid_by: dict[str, int] = {}
        for p in payouts:
            sign = 1 if p["kind"] == "revenue_share_payout" else -1
            paid_by[p["product_id"]] = paid_by.get(p["product_id"], 0) + sign * int(p["amount_fen"])
        products = [_product_obligation(pid, [a for a in accruals if a["product_id"] == pid], paid_by.get(pid, 0))
                    for pid in sorted({a["product_id"] for a in accruals} | set(paid_by))]
        owed = sum(p.owed_fen for p in products)
        to_recover = sum(p.to_recover_fen for p in products)
        oldest = min((p.oldest_unpaid_month for p in products if p.oldest_unpaid_month), default=None)
        overdue = oldest is not None and month_end(oldest) + timedelta(days=owed_flag_days) < today
        items.append(Obligation(seller=r["seller"], household_county=r["payee_county"] or None, payee=r["payee"],
                                accrued_fen=sum(p.accrued_fen for p in products),
                                paid_fen=sum(p.paid_fen for p in products), owed_fen=owed, owed_yuan=yuan(owed),
                                to_recover_fen=to_recover, recovery_open=to_recover > 0,
                                oldest_unpaid_month=oldest, overdue=overdue, products=products,
                                accruals=accruals, payouts=payouts))
    page, next_after = paging.page(items, limit, lambda o: [o.seller, o.household_county or "", o.payee])
    return ObligationPage(items=page, next_after=next_after, owed_flag_days=owed_flag_days)


class IncomeLine(msgspec.Struct, kw_only=True):
    month: str
    income_class: str
    """``operating`` (生产经营性, gross: produce the seller bought) or ``property`` (财产性: revenue share accrued,
    land rent, dividends)."""
    kind: str
    """``procurement``, ``revenue_share``, ``land_rent`` or ``dividend``."""
    amount_fen: int
    seller: str
    source: dict[str, Any]
    """What the amount comes from: the pool (product and month) or the payment (reference, date, produce)."""


class HouseholdIncome(msgspec.Struct, kw_only=True):
    county: str
    household_number: str
    year: int | None
    lines: list[IncomeLine]
    totals: dict[str, int]
    """Fen by income class."""
    revenue_share: list[Obligation]
    """Its revenue share with each seller, all years: accrued, paid (payouts net of recoveries), owed and what is to
    be recovered (paid beyond the accrued share after a refund), with the payouts it received. Money received is
    not income again: the income is the accrual (``lines``)."""


async def household_income(pool: asyncpg.Pool, county: str, household_number: str, year: int | None, *,
                           today: date, owed_flag_days: int) -> HouseholdIncome:
    start = f"{year:04d}-01" if year else "0000-00"
    end = f"{year:04d}-12" if year else "9999-99"
    pools = await pool.fetch(
        f"SELECT s.month, s.sales_month, s.amount_fen, o.seller, s.product_id, p.name FROM {S}.pool_shares s"
        f" JOIN {S}.pools o USING (product_id, month, sales_month) JOIN {S}.products p USING (product_id)"
        " WHERE s.household_county = $1 AND s.payee = $2 AND s.month BETWEEN $3 AND $4"
        " ORDER BY s.month, s.product_id, s.sales_month", county, household_number, start, end)
    payments = await pool.fetch(
        f"SELECT * FROM {S}.linkage_payments WHERE payee_county = $1 AND payee = $2"
        " AND kind IN ('procurement', 'land_rent', 'dividend')"
        " AND to_char(paid_on, 'YYYY-MM') BETWEEN $3 AND $4 ORDER BY paid_on, seller, reference",
        county, household_number, start, end)
    lines = [IncomeLine(month=r["month"], income_class="property", kind="revenue_share", amount_fen=r["amount_fen"],
                        seller=r["seller"], source={"product_id": str(r["product_id"]), "product": r["name"],
                                                    "pool_month": r["month"],
                                                    **({"sales_month": r["sales_month"]}
                                                       if r["sales_month"] != r["month"] else {})})
             for r in pools]
    for r in payments:
        lines.append(IncomeLine(
            month=r["paid_on"].strftime("%Y-%m"), income_class="operating" if r["kind"] == "procurement" else "property",
            kind=r["kind"], amount_fen=r["amount_fen"], seller=r["seller"],
            source={"reference": r["reference"], "paid_on": r["paid_on"].isoformat(),
                    "produce": category_of(r["produce"]),  # a row projected before the one vocabulary
                    "quantity": r["quantity"]}))
    lines.sort(key=lambda line: (line.month, line.kind, line.seller))
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.income_class] = totals.get(line.income_class, 0) + line.amount_fen
    settled: list[Obligation] = []
    after = None
    while True:
        page = await obligations(pool, today=today, owed_flag_days=owed_flag_days, payee=household_number,
                                 after=after, limit=500)
        settled += [o for o in page.items if o.household_county == county]
        if page.next_after is None:
            break
        after = page.next_after
    return HouseholdIncome(county=county, household_number=household_number, year=year, lines=lines, totals=totals,
                           revenue_share=settled)

