"""Reads of what organisations and officials wrote in the employment slice: organisations, workshops (扶贫车间),
workers, wage slips with their versions and proof, upload receipts. Every list is keyset-paged (``paging``).

"Now" is the Asia/Shanghai business date: a workshop is *certified* when a certification period covers today, a
worker is *current* when their employment covers today, a workshop is *eligible* when its latest computed month met
the certification criteria (``workshop_months``)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg
import msgspec

from xiaofei.domain.clock import business_today
from xiaofei.queries import paging
from xiaofei.queries.employment import CertificationPeriodView, period_view

S = "rm_employment"


class WorkshopSummary(msgspec.Struct, kw_only=True):
    workshop_id: UUID
    organisation: str
    name: str
    workshop_type: str
    village_code: str
    township_code: str
    """The village code's first 9 digits (乡镇)."""
    certified: bool
    """A certification period covers today (Asia/Shanghai)."""
    certified_since: date | None
    eligible: bool
    """Its latest computed month met the certification criteria."""
    latest_month: str | None
    current_workers: int
    last_refusal: str | None


class WorkshopPage(msgspec.Struct, kw_only=True):
    items: list[WorkshopSummary]
    next_after: str | None
    """Pass as ``after`` for the next page; null on the last page."""


class OrganisationSummary(msgspec.Struct, kw_only=True):
    credit_code: str
    name: str
    form: str
    county: str
    address: str
    workshops: int
    certified_workshops: int
    current_workers: int


class OrganisationPage(msgspec.Struct, kw_only=True):
    items: list[OrganisationSummary]
    next_after: str | None


class OrganisationDetail(msgspec.Struct, kw_only=True):
    organisation: OrganisationSummary
    workshops: list[WorkshopSummary]
    """At most 500 (an organisation with more is listed in full by GET …/workshops?organisation=)."""
    certifications: dict[str, list[CertificationPeriodView]]
    """Certification history (认定) per workshop id."""


class WorkerView(msgspec.Struct, kw_only=True):
    employment_id: UUID
    workshop_id: UUID
    name: str
    id_masked: str
    contract_type: str
    pay_form: str
    start_date: date
    end_date: date | None
    current: bool


class WorkerPage(msgspec.Struct, kw_only=True):
    items: list[WorkerView]
    next_after: str | None


class WorkshopMonthSummary(msgspec.Struct, kw_only=True):
    month: str
    staff: int
    qualifying_workers: int
    meets_criteria: bool
    slips: int
    gross_fen: int
    entitled_fen: int
    """Every subsidy line of the month's slips (wage, match, hiring, rent…), claimed or not."""


class WorkshopDetail(msgspec.Struct, kw_only=True):
    workshop: WorkshopSummary
    certifications: list[CertificationPeriodView]
    current_workers: list[WorkerView]
    """At most 500; every worker is listed, paged, by …/workers."""
    months: list[WorkshopMonthSummary]
    """The last 24 computed months, newest first."""


class SlipVersionView(msgspec.Struct, kw_only=True):
    version: int
    gross_fen: int
    net_fen: int
    days_worked: int
    reason: str
    """Empty for the first version; the correction's reason after."""
    upload_id: UUID
    recorded_at: datetime


class SlipView(msgspec.Struct, kw_only=True):
    slip_id: UUID
    workshop_id: UUID
    month: str
    employment_id: UUID
    worker_name: str
    id_masked: str
    version: int
    gross_fen: int
    net_fen: int
    days_worked: int
    pieces: int | None
    pay_date: date
    method: str
    bank_ref: str
    payee_account_masked: str
    status: str
    """``verified`` (the current version is proven), ``unverified``, ``rejected`` or ``voided``."""
    verified_version: int | None
    evidence: str | None
    """What proved the verified version: a bank statement line or an official's check."""
    rejected_reason: str | None


class SlipPage(msgspec.Struct, kw_only=True):
    items: list[SlipView]
    next_after: str | None


class SlipDetail(msgspec.Struct, kw_only=True):
    slip: SlipView
    versions: list[SlipVersionView]


class ReceiptRow(msgspec.Struct, kw_only=True):
    slip_id: UUID
    version: int
    workshop_id: UUID
    month: str
    worker_name: str
    id_masked: str
    gross_fen: int
    reason: str


class UploadReceiptView(msgspec.Struct, kw_only=True):
    upload_id: UUID
    idempotency_key: str
    content_sha256: str
    rows: int
    reported: int
    corrected: int
    unchanged: int
    recorded_at: datetime
    slips: list[ReceiptRow]
    """The slip versions this upload wrote (at most 5,000, the upload limit)."""


class UploadReceiptPage(msgspec.Struct, kw_only=True):
    items: list[UploadReceiptView]
    """Receipts without their rows (``slips`` empty): GET the receipt for them."""
    next_after: str | None


def mask_account(account: str) -> str:
    return "" if not account else ("*" * max(len(account) - 4, 0)) + account[-4:]


_WORKSHOP = f"""
SELECT w.workshop_id, w.organisation, w.name, w.workshop_type, w.village_code, left(w.village_code, 9) AS township_code,
       c.certified_on IS NOT NULL AS certified, c.certified_on AS certified_since,
       coalesce(m.meets_criteria, false) AS eligible, m.month AS latest_month, w.last_refusal,
       (SELECT count(*) FROM {S}.employments e WHERE e.workshop_id = w.workshop_id AND e.start_date <= $1
         AND (e.end_date IS NULL OR e.end_date >= $1))::int AS current_workers
FROM {S}.workshops w
LEFT JOIN LATERAL (SELECT certified_on FROM {S}.workshop_certifications c WHERE c.workshop_id = w.workshop_id
                   AND c.certified_on <= $1 AND (c.ends_on IS NULL OR c.ends_on > $1) ORDER BY seq DESC LIMIT 1) c
       ON true
LEFT JOIN LATERAL (SELECT month, meets_criteria FROM {S}.workshop_months m WHERE m.workshop_id = w.workshop_id
                   ORDER BY month DESC LIMIT 1) m ON true
"""


async def workshops(pool: asyncpg.Pool, *, county: str | None = None, organisation: str | None = None,
                    status: str = "all", township: str | None = None, village: str | None = None,
                    after: str | None = None, limit: int = 100) -> WorkshopPage:
    key = paging.parse(after, UUID)
    rows = await pool.fetch(
        _WORKSHOP + " WHERE ($2::text IS NULL OR w.county = $2) AND ($3::text IS NULL OR w.organisation = $3)"
        " AND ($4::text IS NULL OR left(w.village_code, 9) = $4) AND ($5::text IS NULL OR w.village_code = $5)"
        " AND ($6 <> 'certified' OR c.certified_on IS NOT NULL) AND ($6 <> 'eligible' OR m.meets_criteria)"
        " AND ($7::uuid IS NULL OR w.workshop_id > $7) ORDER BY w.workshop_id LIMIT $8",
        business_today(), county, organisation, township, village, status, key[0] if key else None, limit + 1)
    items, next_after = paging.page([WorkshopSummary(**dict(r)) for r in rows], limit, lambda w: [w.workshop_id])
    return WorkshopPage(items=items, next_after=next_after)


_ORGANISATION = f"""
SELECT o.credit_code, o.name, o.form, o.county, o.address,
       (SELECT count(*) FROM {S}.workshops w WHERE w.organisation = o.credit_code)::int AS workshops,
       (SELECT count(DISTINCT w.workshop_id) FROM {S}.workshops w JOIN {S}.workshop_certifications c USING (workshop_id)
         WHERE w.organisation = o.credit_code AND c.certified_on <= $1 AND (c.ends_on IS NULL OR c.ends_on > $1)
       )::int AS certified_workshops,
       (SELECT count(*) FROM {S}.workshops w JOIN {S}.employments e USING (workshop_id)
         WHERE w.organisation = o.credit_code AND e.start_date <= $1 AND (e.end_date IS NULL OR e.end_date >= $1)
       )::int AS current_workers
FROM {S}.organisations o
"""


async def organisations(pool: asyncpg.Pool, county: str, *, form: str | None = None, after: str | None = None,
                        limit: int = 100) -> OrganisationPage:
    key = paging.parse(after, paging.text)
    rows = await pool.fetch(_ORGANISATION + " WHERE o.county = $2 AND ($3::text IS NULL OR o.form = $3)"
                            " AND o.credit_code > $4 ORDER BY o.credit_code LIMIT $5",
                            business_today(), county, form, key[0] if key else "", limit + 1)
    items, next_after = paging.page([OrganisationSummary(**dict(r)) for r in rows], limit, lambda o: [o.credit_code])
    return OrganisationPage(items=items, next_after=next_after)


async def organisation(pool: asyncpg.Pool, county: str, credit_code: str) -> OrganisationDetail | None:
    row = await pool.fetchrow(_ORGANISATION + " WHERE o.county = $2 AND o.credit_code = $3", business_today(),
                              county, credit_code)
    if row is None:
        return None
    shops = await workshops(pool, organisation=credit_code, limit=500)
    periods = await pool.fetch(
        f"SELECT c.* FROM {S}.workshop_certifications c JOIN {S}.workshops w USING (workshop_id)"
        " WHERE w.organisation = $1 ORDER BY c.workshop_id, c.seq", credit_code)
    history: dict[str, list[CertificationPeriodView]] = {}
    for p in periods:
        history.setdefault(str(p["workshop_id"]), []).append(period_view(p))
    return OrganisationDetail(organisation=OrganisationSummary(**dict(row)), workshops=shops.items,
                              certifications=history)


def _worker(r: asyncpg.Record, today: date) -> WorkerView:
    return WorkerView(employment_id=r["employment_id"], workshop_id=r["workshop_id"], name=r["name"],
                      id_masked=r["id_masked"], contract_type=r["contract_type"], pay_form=r["pay_form"],
                      start_date=r["start_date"], end_date=r["end_date"],
                      current=r["start_date"] <= today and (r["end_date"] is None or r["end_date"] >= today))


async def workers(pool: asyncpg.Pool, workshop_id: UUID, *, current_only: bool = False, after: str | None = None,
                  limit: int = 100) -> WorkerPage:
    key = paging.parse(after, paging.day, UUID)
    today = business_today()
    rows = await pool.fetch(
        f"SELECT * FROM {S}.employments WHERE workshop_id = $1 AND (NOT $2 OR (start_date <= $3"
        " AND (end_date IS NULL OR end_date >= $3))) AND ($4::date IS NULL OR (start_date, employment_id) > ($4, $5))"
        " ORDER BY start_date, employment_id LIMIT $6", workshop_id, current_only, today,
        *(key or (None, None)), limit + 1)
    items, next_after = paging.page([_worker(r, today) for r in rows], limit,
                                    lambda w: [w.start_date.isoformat(), w.employment_id])
    return WorkerPage(items=items, next_after=next_after)


async def workshop_of(pool: asyncpg.Pool, organisation: str, workshop_id: UUID) -> bool:
    return await pool.fetchval(f"SELECT 1 FROM {S}.workshops WHERE workshop_id = $1 AND organisation = $2",
                               workshop_id, organisation) is not None


async def workshop(pool: asyncpg.Pool, workshop_id: UUID, *, county: str | None = None,
                   organisation: str | None = None) -> WorkshopDetail | None:
    rows = await pool.fetch(_WORKSHOP + " WHERE w.workshop_id = $2 AND ($3::text IS NULL OR w.county = $3)"
                            " AND ($4::text IS NULL OR w.organisation = $4)",
                            business_today(), workshop_id, county, organisation)
    if not rows:
        return None
    periods = await pool.fetch(f"SELECT * FROM {S}.workshop_certifications WHERE workshop_id = $1 ORDER BY seq",
                               workshop_id)
    current = await workers(pool, workshop_id, current_only=True, limit=500)
    months = await pool.fetch(
        f"""SELECT m.month, m.staff, m.qualifying_workers, m.meets_criteria,
                   (SELECT count(*) FROM {S}.slips s WHERE s.workshop_id = m.workshop_id AND s.month = m.month
                     AND NOT s.voided)::int AS slips,
                   (SELECT coalesce(sum(gross_fen), 0) FROM {S}.slips s WHERE s.workshop_id = m.workshop_id
                     AND s.month = m.month AND NOT s.voided)::bigint AS gross_fen,
                   (SELECT coalesce(sum(amount_fen), 0) FROM {S}.entitlements e WHERE e.workshop_id = m.workshop_id
                     AND e.month = m.month)::bigint AS entitled_fen
            FROM {S}.workshop_months m WHERE m.workshop_id = $1 ORDER BY m.month DESC LIMIT 24""", workshop_id)
    return WorkshopDetail(
        workshop=WorkshopSummary(**dict(rows[0])),
        certifications=[period_view(p) for p in periods],
        current_workers=current.items, months=[WorkshopMonthSummary(**dict(m)) for m in months])


_SLIP_STATUS = ("CASE WHEN s.voided THEN 'voided' WHEN s.verified_version = s.version THEN 'verified'"
                " WHEN s.rejected_reason IS NOT NULL THEN 'rejected' ELSE 'unverified' END")
_SLIP = f"""
SELECT * FROM (
  SELECT s.slip_id, s.organisation, s.workshop_id, s.month, s.employment_id, e.name AS worker_name, e.id_masked,
         s.version, s.gross_fen, s.net_fen, s.days_worked, s.pieces, s.pay_date, s.method, s.bank_ref,
         s.payee_account, s.verified_version, s.verified_evidence, s.rejected_reason, {_SLIP_STATUS} AS status
  FROM {S}.slips s JOIN {S}.employments e USING (employment_id)) s
"""


def _slip(r: asyncpg.Record) -> SlipView:
    status = r["status"]
    return SlipView(slip_id=r["slip_id"], workshop_id=r["workshop_id"], month=r["month"],
                    employment_id=r["employment_id"], worker_name=r["worker_name"], id_masked=r["id_masked"],
                    version=r["version"], gross_fen=r["gross_fen"], net_fen=r["net_fen"],
                    days_worked=r["days_worked"], pieces=r["pieces"], pay_date=r["pay_date"], method=r["method"],
                    bank_ref=r["bank_ref"], payee_account_masked=mask_account(r["payee_account"]), status=status,
                    verified_version=r["verified_version"], evidence=r["verified_evidence"],
                    rejected_reason=r["rejected_reason"])


async def slips(pool: asyncpg.Pool, organisation: str, *, workshop_id: UUID | None = None, month: str | None = None,
                employment_id: UUID | None = None, status: str | None = None, after: str | None = None,
                limit: int = 100) -> SlipPage:
    key = paging.parse(after, paging.text, UUID, UUID)
    rows = await pool.fetch(
        _SLIP + " WHERE s.organisation = $1 AND ($2::uuid IS NULL OR s.workshop_id = $2)"
        " AND ($3::text IS NULL OR s.month = $3) AND ($4::uuid IS NULL OR s.employment_id = $4)"
        " AND ($5::text IS NULL OR s.status = $5)"
        " AND ($6::text IS NULL OR (s.month, s.workshop_id, s.slip_id) > ($6, $7, $8))"
        " ORDER BY s.month, s.workshop_id, s.slip_id LIMIT $9",
        organisation, workshop_id, month, employment_id, status, *(key or (None, None, None)), limit + 1)
    items, next_after = paging.page([_slip(r) for r in rows], limit, lambda s: [s.month, s.workshop_id, s.slip_id])
    return SlipPage(items=items, next_after=next_after)


async def slip(pool: asyncpg.Pool, organisation: str, slip_id: UUID) -> SlipDetail | None:
    row = await pool.fetchrow(_SLIP + " WHERE s.organisation = $1 AND s.slip_id = $2", organisation, slip_id)
    if row is None:
        return None
    versions = await pool.fetch(f"SELECT * FROM {S}.slip_versions WHERE slip_id = $1 ORDER BY version", slip_id)
    return SlipDetail(slip=_slip(row), versions=[SlipVersionView(
        version=v["version"], gross_fen=v["gross_fen"], net_fen=v["net_fen"], days_worked=v["days_worked"],
        reason=v["reason"], upload_id=v["upload_id"], recorded_at=v["recorded_at"]) for v in versions])


def _receipt(r: asyncpg.Record, rows: list[ReceiptRow]) -> UploadReceiptView:
    return UploadReceiptView(upload_id=r["upload_id"], idempotency_key=r["idempotency_key"],
                             content_sha256=r["content_sha256"], rows=r["rows"], reported=r["reported"],
                             corrected=r["corrected"], unchanged=r["unchanged"], recorded_at=r["recorded_at"],
                             slips=rows)


async def uploads(pool: asyncpg.Pool, organisation: str, *, after: str | None = None,
                  limit: int = 100) -> UploadReceiptPage:
    key = paging.parse(after, paging.instant, UUID)
    rows = await pool.fetch(
        f"SELECT * FROM {S}.upload_receipts WHERE organisation = $1 AND ($2::timestamptz IS NULL OR"
        " (recorded_at, upload_id) < ($2, $3)) ORDER BY recorded_at DESC, upload_id DESC LIMIT $4",
        organisation, *(key or (None, None)), limit + 1)
    items, next_after = paging.page([_receipt(r, []) for r in rows], limit,
                                    lambda u: [u.recorded_at.isoformat(), u.upload_id])
    return UploadReceiptPage(items=items, next_after=next_after)


async def upload(pool: asyncpg.Pool, organisation: str, upload_id: UUID) -> UploadReceiptView | None:
    row = await pool.fetchrow(f"SELECT * FROM {S}.upload_receipts WHERE organisation = $1 AND upload_id = $2",
                              organisation, upload_id)
    if row is None:
        return None
    rows = await pool.fetch(
        f"SELECT v.slip_id, v.version, s.workshop_id, s.month, e.name AS worker_name, e.id_masked, v.gross_fen,"
        f" v.reason FROM {S}.slip_versions v JOIN {S}.slips s USING (slip_id) JOIN {S}.employments e"
        " USING (employment_id) WHERE v.upload_id = $1 ORDER BY s.month, s.workshop_id, v.slip_id", upload_id)
    return _receipt(row, [ReceiptRow(**dict(r)) for r in rows])
