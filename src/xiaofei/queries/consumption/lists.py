"""The consumption lists: certifications to review, sellers and products by status, the catalogue, orders,
channel-sales uploads and the integrity flags. Status "as of today" is the Asia/Shanghai business date: a
certificate is ``certified`` when a period covers today, ``expired`` when its validity ended before it."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
import msgspec

from xiaofei.queries import paging

S = "rm_consumption"

CertStatus = Literal["applied", "township_review", "reviewed", "in_notice", "refused", "certified", "suspended",
                     "revoked", "expired"]
FlagKind = Literal["sales_beyond_capacity", "price_outside_band", "plan_household_ineligible",
                   "revenue_share_overdue", "revenue_share_recovery_open", "channel_price_outside_band"]

_STATE = ("CASE WHEN c.status = 'certified' AND c.valid_to < $1 THEN 'expired' ELSE c.status END")
"""A certification's status as of today ($1)."""


class CertificationSummary(msgspec.Struct, kw_only=True):
    certification_id: UUID
    subject: str
    subject_id: str
    organisation: str
    status: str
    applied_on: date
    last_step_on: date
    certificate_number: str | None
    valid_from: date | None
    valid_to: date | None
    open_objections: int


class CertificationPage(msgspec.Struct, kw_only=True):
    items: list[CertificationSummary]
    next_after: str | None


async def certifications(pool: asyncpg.Pool, county: str, today: date, *, subject: str | None,
                         status: str | None, after: str | None, limit: int) -> CertificationPage:
    key = paging.parse(after, paging.day, UUID)
    rows = await pool.fetch(
        f"SELECT c.certification_id, c.subject, c.subject_id, c.organisation, {_STATE} AS status, c.applied_on,"
        " c.last_step_on, c.certificate_number, c.valid_from, c.valid_to, c.open_objections"
        f" FROM {S}.certifications c WHERE c.county = $2 AND ($3::text IS NULL OR c.subject = $3)"
        f" AND ($4::text IS NULL OR {_STATE} = $4) AND (c.applied_on, c.certification_id) > ($5, $6)"
        " ORDER BY c.applied_on, c.certification_id LIMIT $7",
        today, county, subject, status, key[0] if key else date(1900, 1, 1), key[1] if key else UUID(int=0),
        limit + 1)
    items, next_after = paging.page([CertificationSummary(**dict(r)) for r in rows], limit,
                                    lambda c: [c.applied_on.isoformat(), c.certification_id])
    return CertificationPage(items=items, next_after=next_after)


class SellerSummary(msgspec.Struct, kw_only=True):
    credit_code: str
    name: str
    form: str
    mechanisms: list[str]
    status: str
    """The seller's certification as of today; ``not_applied`` without one."""
    certificate_number: str | None
    valid_to: date | None
    products: int
    certified_products: int


class SellerPage(msgspec.Struct, kw_only=True):
    items: list[SellerSummary]
    next_after: str | None


async def sellers(pool: asyncpg.Pool, county: str, today: date, *, status: str | None, after: str | None,
                  limit: int) -> SellerPage:
    key = paging.parse(after, paging.text)
    rows = await pool.fetch(
        f"SELECT * FROM (SELECT s.credit_code, s.name, s.form, s.mechanisms, coalesce({_STATE}, 'not_applied')"
        " AS status, c.certificate_number, c.valid_to,"
        f" (SELECT count(*) FROM {S}.products p WHERE p.seller = s.credit_code) AS products,"
        f" (SELECT count(*) FROM {S}.products p JOIN {S}.certifications pc ON pc.subject = 'product'"
        f"  AND pc.subject_id = p.product_id::text JOIN {S}.cert_periods pp USING (certification_id)"
        "  WHERE p.seller = s.credit_code AND $1 BETWEEN pp.valid_from AND pp.valid_to) AS certified_products"
        f" FROM {S}.sellers s LEFT JOIN {S}.certifications c ON c.subject = 'seller' AND c.subject_id = s.credit_code"
        " WHERE s.county = $2) x WHERE ($3::text IS NULL OR status = $3) AND credit_code > $4"
        " ORDER BY credit_code LIMIT $5", today, county, status, key[0] if key else "", limit + 1)
    items, next_after = paging.page([SellerSummary(**dict(r)) for r in rows], limit, lambda s: [s.credit_code])
    return SellerPage(items=items, next_after=next_after)


class ProductSummary(msgspec.Struct, kw_only=True):
    product_id: UUID
    seller: str
    seller_name: str
    county: str
    name: str
    category: str
    specification: str
    unit: str
    price_fen: int
    stock: int
    origin_county: str
    origin_village: str | None
    yearly_capacity: int
    status: str
    """The product's certification as of today (``not_applied`` without one); ``delisted`` once delisted;
    ``seller_not_certified`` for a certified product whose seller's certificate does not cover today (suspended,
    revoked, expired): it neither sells nor counts (统计口径)."""
    certificate_number: str | None
    valid_to: date | None
    orderable: bool
    """Listed, and both the product's and the seller's certificates cover today: it can be ordered."""


class ProductPage(msgspec.Struct, kw_only=True):
    items: list[ProductSummary]
    next_after: str | None


_SELLER_VALID = (f"EXISTS (SELECT 1 FROM {S}.certifications sc JOIN {S}.cert_periods sp USING (certification_id)"
                 " WHERE sc.subject = 'seller' AND sc.subject_id = p.seller AND $1 BETWEEN sp.valid_from AND"
                 " sp.valid_to)")
_PRODUCTS = (
    "SELECT * FROM (SELECT p.product_id, p.seller, s.name AS seller_name, p.county, p.name, p.category,"
    " p.specification, p.unit, p.price_fen, p.stock, p.origin_county, p.origin_village, p.yearly_capacity,"
    " CASE WHEN p.delisted_on IS NOT NULL THEN 'delisted'"
    f" WHEN {_STATE} = 'certified' AND NOT {_SELLER_VALID} THEN 'seller_not_certified'"
    f" ELSE coalesce({_STATE}, 'not_applied') END AS status,"
    " c.certificate_number, c.valid_to,"
    f" p.delisted_on IS NULL AND EXISTS (SELECT 1 FROM {S}.cert_periods pp WHERE pp.certification_id ="
    f" c.certification_id AND $1 BETWEEN pp.valid_from AND pp.valid_to) AND {_SELLER_VALID}"
    " AS orderable"
    f" FROM {S}.products p JOIN {S}.sellers s ON s.credit_code = p.seller"
    f" LEFT JOIN {S}.certifications c ON c.subject = 'product' AND c.subject_id = p.product_id::text) x")


async def products(pool: asyncpg.Pool, today: date, *, county: str | None = None, seller: str | None = None,
                   status: str | None = None, after: str | None, limit: int) -> ProductPage:
    key = paging.parse(after, UUID)
    rows = await pool.fetch(
        _PRODUCTS + " WHERE ($2::text IS NULL OR county = $2) AND ($3::text IS NULL OR seller = $3)"
        " AND ($4::text IS NULL OR status = $4) AND product_id > $5 ORDER BY product_id LIMIT $6",
        today, county, seller, status, key[0] if key else UUID(int=0), limit + 1)
    items, next_after = paging.page([ProductSummary(**dict(r)) for r in rows], limit, lambda p: [p.product_id])
    return ProductPage(items=items, next_after=next_after)


async def catalogue(pool: asyncpg.Pool, today: date, *, county: str | None, category: str | None,
                    min_price_fen: int | None, max_price_fen: int | None, text: str | None, after: str | None,
                    limit: int) -> ProductPage:
    """Only what can be ordered today: listed, certified and unexpired, of a certified seller."""
    key = paging.parse(after, UUID)
    pattern = None if not text else "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await pool.fetch(
        _PRODUCTS + " WHERE orderable AND ($2::text IS NULL OR county = $2) AND ($3::text IS NULL OR category = $3)"
        " AND ($4::bigint IS NULL OR price_fen >= $4) AND ($5::bigint IS NULL OR price_fen <= $5)"
        " AND ($6::text IS NULL OR name ILIKE $6 OR seller_name ILIKE $6 OR specification ILIKE $6)"
        " AND product_id > $7 ORDER BY product_id LIMIT $8",
        today, county, category, min_price_fen, max_price_fen, pattern, key[0] if key else UUID(int=0), limit + 1)
    items, next_after = paging.page([ProductSummary(**dict(r)) for r in rows], limit, lambda p: [p.product_id])
    return ProductPage(items=items, next_after=next_after)


class OrderSummary(msgspec.Struct, kw_only=True):
    order_id: UUID
    buyer: str
    buyer_type: str
    counts_for: str | None
    seller: str
    status: str
    tag: str | None
    placed_on: date
    received_on: date | None
    total_fen: int
    refunded_fen: int
    lines: list[dict[str, Any]]


class OrderPage(msgspec.Struct, kw_only=True):
    items: list[OrderSummary]
    next_after: str | None


async def orders(pool: asyncpg.Pool, organisation: str, *, role: Literal["buyer", "seller"], status: str | None,
                 after: str | None, limit: int) -> OrderPage:
    key = paging.parse(after, paging.instant, UUID)
    column = "buyer" if role == "buyer" else "seller"
    rows = await pool.fetch(
        "SELECT o.order_id, o.buyer, o.buyer_type, o.counts_for, o.seller, o.status, o.tag, o.placed_on,"
        " o.received_on, o.total_fen, o.refunded_fen, o.placed_at, (SELECT json_agg(json_build_object('line_no',"
        " l.line_no, 'product_id', l.product_id, 'quantity', l.quantity, 'amount_fen', l.amount_fen, 'refunded_fen',"
        f" l.refunded_fen) ORDER BY l.line_no) FROM {S}.order_lines l WHERE l.order_id = o.order_id) AS lines"
        f" FROM {S}.orders o WHERE o.{column} = $1 AND ($2::text IS NULL OR o.status = $2)"
        " AND (o.placed_at, o.order_id) > ($3, $4) ORDER BY o.placed_at, o.order_id LIMIT $5",
        organisation, status, key[0] if key else datetime(1900, 1, 2).astimezone(), key[1] if key else UUID(int=0),
        limit + 1)
    found = [(r["placed_at"], OrderSummary(**{k: v for k, v in dict(r).items() if k not in ("placed_at", "lines")},
                                           lines=json.loads(r["lines"]) if r["lines"] else [])) for r in rows]
    page, next_after = paging.page(found, limit, lambda f: [f[0].isoformat(), f[1].order_id])
    return OrderPage(items=[o for _, o in page], next_after=next_after)


class UploadSummary(msgspec.Struct, kw_only=True):
    upload_id: UUID
    idempotency_key: str
    media_type: str
    rows: int
    recorded: int
    already_known: int
    recorded_at: datetime


class UploadPage(msgspec.Struct, kw_only=True):
    items: list[UploadSummary]
    next_after: str | None


async def uploads(pool: asyncpg.Pool, uploader: str, *, after: str | None, limit: int) -> UploadPage:
    key = paging.parse(after, paging.instant, UUID)
    rows = await pool.fetch(
        "SELECT upload_id, idempotency_key, media_type, rows, recorded, already_known, recorded_at"
        f" FROM {S}.channel_uploads WHERE uploader = $1 AND (recorded_at, upload_id) > ($2, $3)"
        " ORDER BY recorded_at, upload_id LIMIT $4",
        uploader, key[0] if key else datetime(1900, 1, 2).astimezone(), key[1] if key else UUID(int=0), limit + 1)
    items, next_after = paging.page([UploadSummary(**dict(r)) for r in rows], limit,
                                    lambda u: [u.recorded_at.isoformat(), u.upload_id])
    return UploadPage(items=items, next_after=next_after)


class Flag(msgspec.Struct, kw_only=True):
    flag_key: str
    kind: str
    subject: str
    """The product id (capacity, price, plan household) or ``seller:payee`` (revenue share overdue)."""
    evidence: dict[str, Any]


class FlagPage(msgspec.Struct, kw_only=True):
    items: list[Flag]
    next_after: str | None


async def flags(pool: asyncpg.Pool, county: str, *, kind: str | None, after: str | None,
                limit: int, computed: list[Flag]) -> FlagPage:
    """Stored flags and ``computed`` ones (revenue share overdue, which depends on today), by key."""
    key = paging.parse(after, paging.text)
    start = key[0] if key else ""
    rows = await pool.fetch(
        f"SELECT flag_key, kind, subject, evidence FROM {S}.flags WHERE county = $1"
        # byte order, as Python sorts the computed flags it merges them with
        " AND ($2::text IS NULL OR kind = $2) AND flag_key > $3 COLLATE \"C\" ORDER BY flag_key COLLATE \"C\""
        " LIMIT $4",
        county, kind, start, limit + 1)
    stored = [Flag(flag_key=r["flag_key"], kind=r["kind"], subject=r["subject"],
                   evidence=json.loads(r["evidence"])) for r in rows]
    extra = [f for f in computed if f.flag_key > start and (kind is None or f.kind == kind)]
    merged = sorted(stored + extra, key=lambda f: f.flag_key)
    items, next_after = paging.page(merged, limit, lambda f: [f.flag_key])
    return FlagPage(items=items, next_after=next_after)
