"""What a seller owes the households of its benefit linkage, and what linkage brought each household.

Accrued is the household's (or the collective's) part of the seller's revenue-share pools; paid is the seller's
revenue-share payouts to that payee; owed = accrued − paid. Payouts settle the oldest months first: the oldest month
still unpaid is ``oldest_unpaid_month``, and the line is ``overdue`` when that month ended more than
``linkage.owed_flag_days`` days before today (Asia/Shanghai) — a flag that depends on today, computed here.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import asyncpg
import msgspec

from xiaofei.queries import paging
from xiaofei.rules.consumption import month_end, owed_since
from xiaofei.rules.money import yuan

S = "rm_consumption"


class Obligation(msgspec.Struct, kw_only=True):
    seller: str
    household_county: str | None
    """The payee household's county: the product's origin county (a declared 脱贫县 may differ from the seller's);
    null for the collective."""
    payee: str
    """A household number, or ``collective``."""
    accrued_fen: int
    paid_fen: int
    owed_fen: int
    owed_yuan: str
    oldest_unpaid_month: str | None
    overdue: bool
    """Revenue share owed longer than ``linkage.owed_flag_days`` after the end of the month it accrued in."""
    accruals: list[dict[str, Any]]
    """The pools behind the accrued amount: product, month, fen (GET …/revenue-pools shows each split)."""
    payouts: list[dict[str, Any]]
    """The payout records behind the paid amount: reference, date, fen."""


class ObligationPage(msgspec.Struct, kw_only=True):
    items: list[Obligation]
    next_after: str | None
    owed_flag_days: int


async def obligations(pool: asyncpg.Pool, *, today: date, owed_flag_days: int, county: str | None = None,
                      seller: str | None = None, payee: str | None = None, after: str | None = None,
                      limit: int = 100) -> ObligationPage:
    key = paging.parse(after, paging.text, paging.text, paging.text)
    rows = await pool.fetch(
        "WITH acc AS (SELECT o.seller, o.county, coalesce(s.household_county, '') AS payee_county, s.payee,"
        " json_agg(json_build_object('product_id', s.product_id, 'month', s.month, 'amount_fen', s.amount_fen)"
        " ORDER BY s.month, s.product_id) AS accruals, sum(s.amount_fen)::bigint AS accrued"
        f" FROM {S}.pool_shares s JOIN {S}.pools o USING (product_id, month)"
        " WHERE ($1::text IS NULL OR o.county = $1) AND ($2::text IS NULL OR o.seller = $2)"
        " AND ($3::text IS NULL OR s.payee = $3) GROUP BY 1, 2, 3, 4),"
        " paid AS (SELECT seller, county, payee_county, payee, json_agg(json_build_object('reference', reference,"
        " 'paid_on', paid_on, 'amount_fen', amount_fen, 'product_id', product_id) ORDER BY paid_on, reference)"
        f" AS payouts, sum(amount_fen)::bigint AS paid FROM {S}.linkage_payments WHERE kind = 'revenue_share_payout'"
        " AND ($1::text IS NULL OR county = $1) AND ($2::text IS NULL OR seller = $2)"
        " AND ($3::text IS NULL OR payee = $3) GROUP BY 1, 2, 3, 4)"
        " SELECT seller, payee_county, payee, coalesce(a.accrued, 0) AS accrued, coalesce(p.paid, 0) AS paid,"
        " coalesce(a.accruals, '[]') AS accruals, coalesce(p.payouts, '[]') AS payouts"
        " FROM acc a FULL JOIN paid p USING (seller, county, payee_county, payee)"
        " WHERE (seller, payee_county, payee) > ($4, $5, $6) ORDER BY 1, 2, 3 LIMIT $7",
        county, seller, payee, *(key or ["", "", ""]), limit + 1)
    items = []
    for r in rows:
        accruals = json.loads(r["accruals"])
        payouts = json.loads(r["payouts"])
        by_month: dict[str, int] = {}
        for a in accruals:
            by_month[a["month"]] = by_month.get(a["month"], 0) + int(a["amount_fen"])
        _, oldest = owed_since(sorted(by_month.items()), int(r["paid"]))
        owed = int(r["accrued"]) - int(r["paid"])
        overdue = oldest is not None and owed > 0 and month_end(oldest) + timedelta(days=owed_flag_days) < today
        items.append(Obligation(seller=r["seller"], household_county=r["payee_county"] or None, payee=r["payee"],
                                accrued_fen=int(r["accrued"]),
                                paid_fen=int(r["paid"]), owed_fen=owed, owed_yuan=yuan(owed),
                                oldest_unpaid_month=oldest if owed > 0 else None, overdue=overdue,
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


async def household_income(pool: asyncpg.Pool, county: str, household_number: str,
                           year: int | None) -> HouseholdIncome:
    start = f"{year:04d}-01" if year else "0000-00"
    end = f"{year:04d}-12" if year else "9999-99"
    pools = await pool.fetch(
        f"SELECT s.month, s.amount_fen, o.seller, s.product_id, p.name FROM {S}.pool_shares s JOIN {S}.pools o"
        f" USING (product_id, month) JOIN {S}.products p USING (product_id) WHERE s.household_county = $1"
        " AND s.payee = $2 AND s.month BETWEEN $3 AND $4 ORDER BY s.month, s.product_id",
        county, household_number, start, end)
    payments = await pool.fetch(
        f"SELECT * FROM {S}.linkage_payments WHERE payee_county = $1 AND payee = $2 AND kind <> 'revenue_share_payout'"
        " AND to_char(paid_on, 'YYYY-MM') BETWEEN $3 AND $4 ORDER BY paid_on, seller, reference",
        county, household_number, start, end)
    lines = [IncomeLine(month=r["month"], income_class="property", kind="revenue_share", amount_fen=r["amount_fen"],
                        seller=r["seller"], source={"product_id": str(r["product_id"]), "product": r["name"],
                                                    "pool_month": r["month"]}) for r in pools]
    for r in payments:
        lines.append(IncomeLine(
            month=r["paid_on"].strftime("%Y-%m"), income_class="operating" if r["kind"] == "procurement" else "property",
            kind=r["kind"], amount_fen=r["amount_fen"], seller=r["seller"],
            source={"reference": r["reference"], "paid_on": r["paid_on"].isoformat(), "produce": r["produce"],
                    "quantity": r["quantity"]}))
    lines.sort(key=lambda line: (line.month, line.kind, line.seller))
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.income_class] = totals.get(line.income_class, 0) + line.amount_fen
    return HouseholdIncome(county=county, household_number=household_number, year=year, lines=lines, totals=totals)

