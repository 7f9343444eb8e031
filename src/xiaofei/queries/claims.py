"""Claim queries: claims with their lines, objections and payments; recoveries; organisations with a ledger."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from xiaofei.queries import paging
from xiaofei.queries.workforce import mask_account

S = "rm_employment"


class ClaimLineView(msgspec.Struct, kw_only=True):
    line_no: int
    slip_id: UUID
    """The entitlement line's subject (a slip, or the stable id of an award, a training or a rent month)."""
    subsidy: str
    payee: str
    month: str
    slip_version: int
    entitled_fen: int
    previously_claimed_fen: int
    amount_fen: int
    kind: str
    """``entitlement`` (first claim), ``arrears`` (+) or ``clawback`` (-)."""
    adjusts_claim: UUID | None
    rejected_reason: str | None
    reinstated_reason: str | None
    """Set when an official let a rejected line be claimed again in a later claim."""
    explanation: dict[str, Any]


class PaymentView(msgspec.Struct, kw_only=True):
    payee: str
    amount_fen: int
    reference: str
    paid_on: date


class ObjectionView(msgspec.Struct, kw_only=True):
    number: int
    text: str
    lodged_on: date
    lodged_by: str
    resolution: str | None
    resolved_on: date | None
    resolved_by: str | None


class ClaimView(msgspec.Struct, kw_only=True):
    claim_id: UUID
    organisation: str
    county: str
    period_from: str
    period_to: str
    initiated_by: str
    """``employer``, or ``county`` for an adjustment claim the county filed to settle pending adjustments."""
    status: str
    """``filed`` → ``in_review`` → ``reviewed`` → ``in_notice`` → ``approved`` → ``paid``."""
    filed_on: date | None
    """Business date (Asia/Shanghai) of filing."""
    review_started_on: date | None
    reviewed_on: date | None
    notice_published_on: date | None
    notice_ends: date | None
    approved_on: date | None
    paid_on: date | None
    total_fen: int
    """Sum of the lines not rejected."""
    lines: list[ClaimLineView]
    objections: list[ObjectionView]
    payments: list[PaymentView]


class RecoveryView(msgspec.Struct, kw_only=True):
    organisation: str
    payee: str
    opened_fen: int
    settled_fen: int
    outstanding_fen: int


class ClaimPage(msgspec.Struct, kw_only=True):
    items: list[ClaimView]
    next_after: str | None
    """Pass as ``after`` for the next page (claims in filing order); null on the last page."""


class PayeeView(msgspec.Struct, kw_only=True):
    payee: str
    """``employer``, or ``worker:<id hash>`` (the key payment references are given by)."""
    name: str
    """The worker's name as the employer recorded it; the organisation's name for ``employer``."""
    id_masked: str | None
    account_masked: str | None
    """The bank account the worker's slips were paid to, all but the last four digits masked."""
    total_fen: int
    """What this claim pays the payee (lines not rejected); negative: owed back."""
    paid_reference: str | None


class ClaimDetail(msgspec.Struct, kw_only=True):
    claim: ClaimView
    payees: list[PayeeView]
    totals_by_subsidy: dict[str, int]
    """Lines not rejected, summed per subsidy (worker_wage, employer_match, hiring, training, rent…)."""


async def claims(pool: asyncpg.Pool, *, county: str | None = None, organisation: str | None = None,
                 claim_id: UUID | None = None, status: str | None = None, after: str | None = None,
                 limit: int = 500) -> ClaimPage:
    key = paging.parse(after, paging.instant, UUID)
    async with pool.acquire() as conn:
        heads = await conn.fetch(
            f"SELECT * FROM {S}.claims WHERE ($1::text IS NULL OR county = $1) AND ($2::text IS NULL OR"
            " organisation = $2) AND ($3::uuid IS NULL OR claim_id = $3) AND ($4::text IS NULL OR status = $4)"
            " AND ($5::timestamptz IS NULL OR (filed_at, claim_id) > ($5, $6)) ORDER BY filed_at, claim_id LIMIT $7",
            county, organisation, claim_id, status, *(key or (None, None)), limit + 1)
        heads, next_after = paging.page(heads, limit, lambda h: [h["filed_at"].isoformat(), h["claim_id"]])
        ids = [h["claim_id"] for h in heads]
        lines = await conn.fetch(f"SELECT * FROM {S}.claim_lines WHERE claim_id = ANY($1) ORDER BY claim_id, line_no",
                                 ids)
        objections = await conn.fetch(f"SELECT * FROM {S}.claim_objections WHERE claim_id = ANY($1)"
                                      " ORDER BY claim_id, number", ids)
        payments = await conn.fetch(f"SELECT * FROM {S}.claim_payments WHERE claim_id = ANY($1) ORDER BY payee", ids)
    by_claim: dict[UUID, dict[str, list[asyncpg.Record]]] = {i: {"lines": [], "objections": [], "payments": []}
                                                              for i in ids}
    for part, rows in (("lines", lines), ("objections", objections), ("payments", payments)):
        for row in rows:
            by_claim[row["claim_id"]][part].append(row)
    out = []
    for h in heads:
        mine = by_claim[h["claim_id"]]["lines"]
        out.append(ClaimView(
            claim_id=h["claim_id"], organisation=h["organisation"], county=h["county"], period_from=h["period_from"],
            period_to=h["period_to"], initiated_by=h["initiated_by"], status=h["status"], filed_on=h["filed_on"],
            notice_published_on=h["notice_published_on"], notice_ends=h["notice_ends"],
            approved_on=h["approved_on"], paid_on=h["paid_on"], review_started_on=h["review_started_on"],
            reviewed_on=h["reviewed_on"],
            total_fen=sum(ln["amount_fen"] for ln in mine if ln["rejected_reason"] is None),
            lines=[ClaimLineView(
                line_no=ln["line_no"], slip_id=ln["slip_id"], subsidy=ln["subsidy"], payee=ln["payee"],
                month=ln["month"], slip_version=ln["slip_version"], entitled_fen=ln["entitled_fen"],
                previously_claimed_fen=ln["previously_claimed_fen"], amount_fen=ln["amount_fen"], kind=ln["kind"],
                adjusts_claim=ln["adjusts_claim"], rejected_reason=ln["rejected_reason"],
                reinstated_reason=ln["reinstated_reason"], explanation=json.loads(ln["explanation"]))
                for ln in mine],
            objections=[ObjectionView(number=o["number"], text=o["text"], lodged_on=o["lodged_on"],
                                      lodged_by=o["lodged_by"], resolution=o["resolution"],
                                      resolved_on=o["resolved_on"], resolved_by=o["resolved_by"])
                        for o in by_claim[h["claim_id"]]["objections"]],
            payments=[PaymentView(payee=p["payee"], amount_fen=p["amount_fen"], reference=p["reference"],
                                  paid_on=p["paid_on"]) for p in by_claim[h["claim_id"]]["payments"]]))
    return ClaimPage(items=out, next_after=next_after)


async def claim_detail(pool: asyncpg.Pool, claim_id: UUID, *, county: str | None = None,
                       organisation: str | None = None) -> ClaimDetail | None:
    """One claim with its payees (name, masked ID and account) and its totals per subsidy and per payee."""
    page = await claims(pool, county=county, organisation=organisation, claim_id=claim_id, limit=1)
    if not page.items:
        return None
    claim = page.items[0]
    counted = [ln for ln in claim.lines if ln.rejected_reason is None]
    by_subsidy: dict[str, int] = {}
    by_payee: dict[str, int] = {}
    for ln in counted:
        by_subsidy[ln.subsidy] = by_subsidy.get(ln.subsidy, 0) + ln.amount_fen
    for ln in claim.lines:
        by_payee.setdefault(ln.payee, 0)
        if ln.rejected_reason is None:
            by_payee[ln.payee] += ln.amount_fen
    hashes = sorted(p.removeprefix("worker:") for p in by_payee if p.startswith("worker:"))
    people = {r["id_hash"]: r for r in await pool.fetch(
        f"SELECT DISTINCT ON (e.id_hash) e.id_hash, e.name, e.id_masked FROM {S}.employments e JOIN {S}.workshops w"
        " USING (workshop_id) WHERE w.organisation = $1 AND e.id_hash = ANY($2) ORDER BY e.id_hash, e.start_date DESC",
        claim.organisation, hashes)}
    accounts = {r["id_hash"]: r["payee_account"] for r in await pool.fetch(
        f"SELECT DISTINCT ON (id_hash) id_hash, payee_account FROM {S}.slips WHERE organisation = $1"
        " AND id_hash = ANY($2) AND payee_account <> '' ORDER BY id_hash, month DESC", claim.organisation, hashes)}
    org_name = await pool.fetchval(f"SELECT name FROM {S}.organisations WHERE credit_code = $1", claim.organisation)
    references = {p.payee: p.reference for p in claim.payments}
    payees = []
    for payee, total in sorted(by_payee.items()):
        h = payee.removeprefix("worker:") if payee.startswith("worker:") else None
        person = people.get(h) if h else None
        payees.append(PayeeView(
            payee=payee, name=(person["name"] if person else "") if h else (org_name or claim.organisation),
            id_masked=person["id_masked"] if person else None,
            account_masked=mask_account(accounts[h]) if h and h in accounts else None,
            total_fen=total, paid_reference=references.get(payee)))
    return ClaimDetail(claim=claim, payees=payees, totals_by_subsidy=dict(sorted(by_subsidy.items())))


class RecoveryPage(msgspec.Struct, kw_only=True):
    items: list[RecoveryView]
    next_after: str | None


async def recoveries(pool: asyncpg.Pool, county: str, after: str | None = None, limit: int = 500) -> RecoveryPage:
    key = paging.parse(after, paging.text, paging.text)
    rows = await pool.fetch(
        f"SELECT r.* FROM {S}.recoveries r JOIN {S}.organisations o ON o.credit_code = r.organisation"
        " WHERE o.county = $1 AND ($2::text IS NULL OR (r.organisation, r.payee) > ($2, $3))"
        " ORDER BY r.organisation, r.payee LIMIT $4", county, *(key or (None, None)), limit + 1)
    items, next_after = paging.page(
        [RecoveryView(organisation=r["organisation"], payee=r["payee"], opened_fen=r["opened_fen"],
                      settled_fen=r["settled_fen"], outstanding_fen=r["opened_fen"] - r["settled_fen"])
         for r in rows], limit, lambda x: [x.organisation, x.payee])
    return RecoveryPage(items=items, next_after=next_after)


async def organisations_with_claims(pool: asyncpg.Pool, county: str, after: str | None, limit: int) -> list[str]:
    """Credit codes of the county's organisations that have a claim ledger, in order, from after ``after``."""
    rows = await pool.fetch(
        f"SELECT o.credit_code FROM {S}.organisations o JOIN {S}.ledgers l ON l.organisation = o.credit_code"
        " WHERE o.county = $1 AND ($2::text IS NULL OR o.credit_code > $2) ORDER BY o.credit_code LIMIT $3",
        county, after, limit)
    return [r["credit_code"] for r in rows]
