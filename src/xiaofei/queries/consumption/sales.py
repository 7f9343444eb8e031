"""Recognised sales (统计口径: certified products within validity), revenue-share pools, and reserved-share progress.

A sale counts when the product's and the seller's certificates both covered its day; refunds after receipt are
negative rows in the month they were recorded. Progress toward a budget unit's reserved amount counts its own
purchases, those its trade union and staff tag to it, channel sales naming it, and those of units whose filing says
they share its canteen, net of refunds, in the calendar year.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Literal
from uuid import UUID

import asyncpg
import msgspec

from xiaofei.queries import paging
from xiaofei.rules.consumption import SALE_LINE
from xiaofei.rules.money import ratio, yuan

S = "rm_consumption"

SalesBy = Literal["month", "product", "seller", "category", "buyer_type", "tag", "channel", "township", "village"]
_KEY = {"month": "month", "product": "product_id::text", "seller": "seller", "category": "category",
        "buyer_type": "buyer_type", "tag": "coalesce(tag, '')", "channel": "channel",
        "township": "coalesce(left(village, 9), '')", "village": "coalesce(village, '')"}


class SalesRow(msgspec.Struct, kw_only=True):
    key: str
    """The value of the grouping (``by``): a month, product id, credit code, category, buyer type, tag, channel,
    township or village code ("" when the sales have none)."""
    month: str
    amount_fen: int
    """Counted sales net of refunds (fen)."""
    quantity: int
    sales: int
    """Sale lines behind the amount: received order lines not wholly refunded before receipt, channel sales."""
    refunds: int
    name: str | None = None
    """By product: the product's name; by seller: the seller's name (null otherwise)."""


class SalesPage(msgspec.Struct, kw_only=True):
    items: list[SalesRow]
    next_after: str | None


async def sales(pool: asyncpg.Pool, *, county: str | None = None, seller: str | None = None, by: SalesBy,
                month_from: str | None, month_to: str | None, after: str | None, limit: int) -> SalesPage:
    key = paging.parse(after, paging.text, paging.text)
    expression = _KEY[by]
    rows = await pool.fetch(
        f"SELECT {expression} AS key, month, sum(amount_fen)::bigint AS amount_fen, sum(quantity)::bigint AS quantity,"
        f" count(*) FILTER (WHERE {SALE_LINE}) AS sales, count(*) FILTER (WHERE source = 'refund') AS refunds"
        f" FROM {S}.sales WHERE counted AND ($1::text IS NULL OR county = $1) AND ($2::text IS NULL OR seller = $2)"
        " AND ($3::text IS NULL OR month >= $3) AND ($4::text IS NULL OR month <= $4)"
        f" GROUP BY 1, 2 HAVING ({expression}, month) > ($5, $6) ORDER BY 1, 2 LIMIT $7",
        county, seller, month_from, month_to, key[0] if key else "", key[1] if key else "", limit + 1)
    names: dict[str, str] = {}
    if by in ("product", "seller") and rows:
        keys = sorted({r["key"] for r in rows})
        found = await pool.fetch(
            f"SELECT product_id::text AS key, name FROM {S}.products WHERE product_id::text = ANY($1::text[])"
            if by == "product" else f"SELECT credit_code AS key, name FROM {S}.sellers WHERE credit_code = ANY($1)",
            keys)
        names = {r["key"]: r["name"] for r in found}
    items, next_after = paging.page([SalesRow(**dict(r), name=names.get(r["key"])) for r in rows], limit,
                                    lambda r: [r.key, r.month])
    return SalesPage(items=items, next_after=next_after)


class PoolShare(msgspec.Struct, kw_only=True):
    payee: str
    """A household number, or ``collective`` (the village collective's part)."""
    weight: int
    amount_fen: int
    amount_yuan: str


class Pool(msgspec.Struct, kw_only=True):
    product_id: UUID
    product: str
    seller: str
    month: str
    sales_month: str
    """The month of the sales the pool counts: ``month`` itself, or an earlier month whose sales were refunded in
    ``month`` (split under that month's plan, so the refund takes back what its sales gave, from whom)."""
    net_sales_fen: int
    revenue_share_rate: str
    pool_fen: int
    collective_share: str
    collective_fen: int
    plan_version: int
    """The product's event version that set the plan ruling the month."""
    shares: list[PoolShare]
    rule: str


class PoolPage(msgspec.Struct, kw_only=True):
    items: list[Pool]
    next_after: str | None


RULE = ("pool = revenue_share_rate × counted net sales of the month (refunds of an earlier month's sales: a pool of "
        "their own under that month's plan), half-up to the fen; collective = "
        "collective_share × pool, half-up; the rest by weight among the plan's households, largest remainder, ties by "
        "household number (a negative pool is split as its absolute value and negated)")


async def pools(pool: asyncpg.Pool, *, county: str | None = None, seller: str | None = None,
                product: UUID | None = None, month: str | None = None, after: str | None,
                limit: int) -> PoolPage:
    key = paging.parse(after, paging.text, UUID, paging.text)
    rows = await pool.fetch(
        f"SELECT o.*, p.name AS product, coalesce((SELECT json_agg(json_build_object('payee', s.payee, 'weight',"
        " s.weight, 'amount_fen', s.amount_fen) ORDER BY s.payee = 'collective', s.payee)"
        f" FROM {S}.pool_shares s WHERE s.product_id = o.product_id AND s.month = o.month"
        " AND s.sales_month = o.sales_month), '[]') AS shares"
        f" FROM {S}.pools o JOIN {S}.products p USING (product_id)"
        " WHERE ($1::text IS NULL OR o.county = $1) AND ($2::text IS NULL OR o.seller = $2)"
        " AND ($3::uuid IS NULL OR o.product_id = $3) AND ($4::text IS NULL OR o.month = $4)"
        " AND (o.month, o.product_id, o.sales_month) > ($5, $6, $7) ORDER BY o.month, o.product_id, o.sales_month"
        " LIMIT $8", county, seller, product, month, key[0] if key else "", key[1] if key else UUID(int=0),
        key[2] if key else "", limit + 1)
    items = [Pool(product_id=r["product_id"], product=r["product"], seller=r["seller"], month=r["month"],
                  sales_month=r["sales_month"], net_sales_fen=r["net_sales_fen"], revenue_share_rate=str(r["rate"]), pool_fen=r["pool_fen"],
                  collective_share=str(r["collective_share"]), collective_fen=r["collective_fen"],
                  plan_version=r["plan_version"], rule=RULE,
                  shares=[PoolShare(payee=s["payee"], weight=s["weight"], amount_fen=s["amount_fen"],
                                    amount_yuan=yuan(s["amount_fen"])) for s in json.loads(r["shares"])])
             for r in rows]
    page, next_after = paging.page(items, limit, lambda p: [p.month, p.product_id, p.sales_month])
    return PoolPage(items=page, next_after=next_after)


class Progress(msgspec.Struct, kw_only=True):
    budget_unit: str
    name: str
    year: int
    kind: str | None
    """The year's filing: ``canteen``, ``no_canteen``, ``shared_canteen``; null when the unit has not filed."""
    canteen_budget_fen: int
    reserved_share_rate: str | None
    reserved_fen: int
    shared_with: str | None
    purchased_fen: int
    """Counted purchases of the year net of refunds: the unit's own, those tagged to it, and those of units that
    share its canteen."""
    progress: str | None
    """purchased ÷ reserved, 4 decimals (``0.2000`` = 20%); null when nothing is reserved."""
    purchases: int


class ProgressPage(msgspec.Struct, kw_only=True):
    items: list[Progress]
    next_after: str | None


async def progress(pool: asyncpg.Pool, *, year: int, county: str | None = None, unit: str | None = None,
                   after: str | None = None, limit: int = 100) -> ProgressPage:
    key = paging.parse(after, paging.text)
    rows = await pool.fetch(
        "WITH credited AS (SELECT coalesce(f2.shared_with, s.budget_unit) AS unit, s.amount_fen, s.source"
        f" FROM {S}.sales s LEFT JOIN {S}.share_filings f2 ON f2.buyer_key = s.budget_unit AND f2.year = $1"
        "  AND f2.kind = 'shared_canteen'"
        " WHERE s.counted AND s.budget_unit IS NOT NULL AND s.day >= make_date($1, 1, 1)"
        "  AND s.day < make_date($1 + 1, 1, 1))"
        " SELECT b.buyer_key, b.name, f.kind, coalesce(f.canteen_budget_fen, 0) AS canteen_budget_fen,"
        " f.reserved_share_rate, coalesce(f.reserved_fen, 0) AS reserved_fen, f.shared_with,"
        " coalesce((SELECT sum(amount_fen) FROM credited c WHERE c.unit = b.buyer_key), 0)::bigint AS purchased,"
        " (SELECT count(*) FROM credited c WHERE c.unit = b.buyer_key AND c.source <> 'refund') AS purchases"
        f" FROM {S}.buyers b LEFT JOIN {S}.share_filings f ON f.buyer_key = b.buyer_key AND f.year = $1"
        " WHERE b.buyer_type = 'budget_unit' AND ($2::text IS NULL OR b.county = $2)"
        " AND ($3::text IS NULL OR b.buyer_key = $3) AND b.buyer_key > $4 ORDER BY b.buyer_key LIMIT $5",
        year, county, unit, key[0] if key else "", limit + 1)
    items = []
    for r in rows:
        reserved = int(r["reserved_fen"])
        items.append(Progress(budget_unit=r["buyer_key"], name=r["name"], year=year, kind=r["kind"],
                              canteen_budget_fen=r["canteen_budget_fen"],
                              reserved_share_rate=str(r["reserved_share_rate"]) if r["kind"] else None,
                              reserved_fen=reserved, shared_with=r["shared_with"], purchased_fen=int(r["purchased"]),
                              progress=ratio(int(r["purchased"]), reserved), purchases=r["purchases"]))
    page, next_after = paging.page(items, limit, lambda p: [p.budget_unit])
    return ProgressPage(items=page, next_after=next_after)


class SaleLedgerRow(msgspec.Struct, kw_only=True):
    sale_key: str
    """``order:<order id>:<line>``, ``refund:<order id>:<refund no>`` or ``channel:<channel sale id>``."""
    source: str
    order_id: UUID | None
    channel_sale_id: UUID | None
    product_id: UUID
    seller: str
    day: date
    """The receipt date (an order line), the day a refund was recorded, or the sale date (a channel sale)."""
    month: str
    quantity: int
    amount_fen: int
    buyer_type: str
    budget_unit: str | None
    tag: str | None
    channel: str
    counted: bool
    """The product's and the seller's certificates both covered the sale's day (a refund's: its sale's)."""


class SaleLedgerPage(msgspec.Struct, kw_only=True):
    items: list[SaleLedgerRow]
    next_after: str | None


async def sale_rows(pool: asyncpg.Pool, county: str, *, product: UUID | None, month: str | None,
                    after: str | None, limit: int) -> SaleLedgerPage:
    """The ledger rows behind the sales figures and pools: what each amount comes from."""
    key = paging.parse(after, paging.text)
    rows = await pool.fetch(
        "SELECT sale_key, source, order_id, channel_sale AS channel_sale_id, product_id, seller, day, month, quantity,"
        f" amount_fen, buyer_type, budget_unit, tag, channel, counted FROM {S}.sales WHERE county = $1"
        " AND ($2::uuid IS NULL OR product_id = $2) AND ($3::text IS NULL OR month = $3) AND sale_key > $4"
        " ORDER BY sale_key LIMIT $5", county, product, month, key[0] if key else "", limit + 1)
    items, next_after = paging.page([SaleLedgerRow(**dict(r)) for r in rows], limit, lambda r: [r.sale_key])
    return SaleLedgerPage(items=items, next_after=next_after)
