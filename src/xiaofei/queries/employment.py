"""Employment queries: entitlements with explanations, certification months, reconciliation lists."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

S = "rm_employment"


class EntitlementLine(msgspec.Struct, kw_only=True):
    slip_id: UUID
    subsidy: str
    payee: str
    organisation: str
    workshop_id: UUID
    month: str
    slip_version: int
    amount_fen: int
    eligible: bool
    explanation: dict[str, Any]


class CertificationMonth(msgspec.Struct, kw_only=True):
    month: str
    staff: int
    qualifying_workers: int
    meets_criteria: bool
    explanation: dict[str, Any]


class UnmatchedSlip(msgspec.Struct, kw_only=True):
    slip_id: UUID
    workshop_id: UUID
    month: str
    version: int
    net_fen: int
    pay_date: date
    bank_ref: str
    rejected_reason: str | None


class UnmatchedLine(msgspec.Struct, kw_only=True):
    statement_id: UUID
    line: int
    paid_on: date
    amount_fen: int
    payee_name: str
    reference: str


def _line(r: asyncpg.Record) -> EntitlementLine:
    return EntitlementLine(slip_id=r["slip_id"], subsidy=r["subsidy"], payee=r["payee"],
                           organisation=r["organisation"], workshop_id=r["workshop_id"], month=r["month"],
                           slip_version=r["slip_version"], amount_fen=r["amount_fen"], eligible=r["eligible"],
                           explanation=json.loads(r["explanation"]))


async def entitlements(pool: asyncpg.Pool, *, county: str | None = None, organisation: str | None = None,
                       month: str | None = None) -> list[EntitlementLine]:
    rows = await pool.fetch(
        f"SELECT * FROM {S}.entitlements WHERE ($1::text IS NULL OR county = $1)"
        " AND ($2::text IS NULL OR organisation = $2) AND ($3::text IS NULL OR month = $3)"
        " ORDER BY month, workshop_id, slip_id, subsidy", county, organisation, month)
    return [_line(r) for r in rows]


async def certification_months(pool: asyncpg.Pool, county: str, workshop_id: UUID) -> list[CertificationMonth] | None:
    found = await pool.fetchval(f"SELECT 1 FROM {S}.workshops WHERE workshop_id = $1 AND county = $2",
                                workshop_id, county)
    if found is None:
        return None
    rows = await pool.fetch(f"SELECT * FROM {S}.workshop_months WHERE workshop_id = $1 ORDER BY month", workshop_id)
    return [CertificationMonth(month=r["month"], staff=r["staff"], qualifying_workers=r["qualifying_workers"],
                               meets_criteria=r["meets_criteria"], explanation=json.loads(r["explanation"]))
            for r in rows]


async def unmatched_slips(pool: asyncpg.Pool, organisation: str) -> list[UnmatchedSlip]:
    rows = await pool.fetch(
        f"SELECT slip_id, workshop_id, month, version, net_fen, pay_date, bank_ref, rejected_reason FROM {S}.slips"
        " WHERE organisation = $1 AND NOT voided AND verified_version IS DISTINCT FROM version"
        " ORDER BY month, workshop_id, slip_id", organisation)
    return [UnmatchedSlip(**dict(r)) for r in rows]


async def unmatched_lines(pool: asyncpg.Pool, organisation: str) -> list[UnmatchedLine]:
    rows = await pool.fetch(
        f"SELECT statement_id, line, paid_on, amount_fen, payee_name, reference FROM {S}.statement_lines"
        " WHERE organisation = $1 AND matched_slip IS NULL ORDER BY statement_id, line", organisation)
    return [UnmatchedLine(**dict(r)) for r in rows]
