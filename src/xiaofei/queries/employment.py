"""Employment queries: entitlements with explanations, certification months, reconciliation lists."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from xiaofei.projectors.employment import explain
from xiaofei.queries import paging
from xiaofei.queries.disclosure import registry_counties
from xiaofei.rules.disclosure import Viewer, disclose
from xiaofei.rules.entitlements import expand_parameters
from xiaofei.rules.parameters import ParameterVersion, scope_chain

S = "rm_employment"


class EntitlementLine(msgspec.Struct, kw_only=True):
    slip_id: UUID
    """The line's subject: a wage slip, or the stable id of a hiring award, a training or a rent month."""
    subsidy: str
    payee: str
    organisation: str
    workshop_id: UUID
    month: str
    slip_version: int
    amount_fen: int
    eligible: bool
    explanation: dict[str, Any]
    worker_name: str | None = None
    """As the employer recorded the worker (null for the employer's own lines without a worker)."""
    id_masked: str | None = None
    slip: str | None = None
    """The slip behind the line (GET /organisations/{org}/slips/{slip_id}), null when the subject is not a slip."""
    claimed_fen: int = 0
    """What claims not rejected have asked for this line so far (arrears and clawbacks included)."""
    claim_status: str = "unclaimed"
    """``unclaimed``; the status of the last claim of this organisation that carried it and did not reject it
    (``filed``, ``in_review``, ``reviewed``, ``in_notice``, ``approved``, ``paid``); or ``rejected`` when every claim
    that carried it rejected it."""
    last_claim_id: UUID | None = None


class EntitlementPage(msgspec.Struct, kw_only=True):
    items: list[EntitlementLine]
    next_after: str | None
    """Pass as ``after`` for the next page (by month, workshop, subject, subsidy); null on the last page."""


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


async def _versions(pool: asyncpg.Pool, county: str) -> list[ParameterVersion]:
    rows = await pool.fetch(f"SELECT name, value, scope, effective_from, effective_to, source, era, seq FROM"
                            f" {S}.parameters WHERE scope = ANY($1)", scope_chain(county))
    return [ParameterVersion(**dict(r)) for r in rows]


def _line(r: asyncpg.Record, versions: dict[str, list[ParameterVersion]],
          rendered: dict[tuple[UUID, str], dict[str, Any]]) -> EntitlementLine:
    stored = r["explanation"]
    explanation = json.loads(stored) if stored is not None else rendered[(r["slip_id"], r["subsidy"])]
    return EntitlementLine(slip_id=r["slip_id"], subsidy=r["subsidy"], payee=r["payee"],
                           organisation=r["organisation"], workshop_id=r["workshop_id"], month=r["month"],
                           slip_version=r["slip_version"], amount_fen=r["amount_fen"], eligible=r["eligible"],
                           explanation=expand_parameters(explanation, versions[r["county"]], r["county"]))


async def _rendered(conn: asyncpg.Connection, rows: list[asyncpg.Record],
                    versions: dict[str, list[ParameterVersion]]) -> dict[tuple[UUID, str], dict[str, Any]]:
    """The explanations of the wage and matching lines among ``rows``, rendered by the rule over their
    worker-months' facts (read in the same snapshot as the lines)."""
    keys = explain.worker_months(rows)
    if not keys:
        return {}
    slips = await conn.fetch(explain.SLIPS_SQL.format(s=f"{S}."), *explain.key_arrays(keys))
    people = await conn.fetch(explain.PEOPLE_SQL.format(s=f"{S}."), sorted({k[1] for k in keys}))
    certs = await conn.fetch(explain.CERTIFICATIONS_SQL.format(s=f"{S}."),
                             sorted({s["workshop_id"] for s in slips}, key=str))
    return explain.render(slips, people, certs, versions.__getitem__)


async def entitlements(pool: asyncpg.Pool, viewer: Viewer, *, county: str | None = None,
                       organisation: str | None = None, month: str | None = None, workshop_id: UUID | None = None,
                       subsidy: str | None = None, after: str | None = None, limit: int = 500) -> EntitlementPage:
    """Lines with their explanations as ``viewer`` may read them (registry details only for officials and
    auditors of the worker's county), each with the worker as recorded, its slip and its claim status."""
    key = paging.parse(after, paging.text, UUID, UUID, paging.text)
    # the page first (keyset over the index), then the worker, slip and claim of its rows only; the claims are
    # this organisation's own (a hiring award's subject is the same key in every organisation it moves to)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return await _entitlements_page(conn, viewer, county, organisation, month, workshop_id, subsidy, key, limit)


async def _entitlements_page(conn: asyncpg.Connection, viewer: Viewer, county: str | None, organisation: str | None,
                             month: str | None, workshop_id: UUID | None, subsidy: str | None, key: Any,
                             limit: int) -> EntitlementPage:
    rows = await conn.fetch(
        f"""SELECT e.*, w.name AS worker_name, w.id_masked, s.slip_id AS slip, c.claimed_fen, c.claim_status,
                   c.last_claim_id, c.rejected
            FROM (SELECT * FROM {S}.entitlements
                  WHERE ($1::text IS NULL OR county = $1) AND ($2::text IS NULL OR organisation = $2)
                    AND ($3::text IS NULL OR month = $3) AND ($4::uuid IS NULL OR workshop_id = $4)
                    AND ($5::text IS NULL OR subsidy = $5)
                    AND ($6::text IS NULL OR (month, workshop_id, slip_id, subsidy) > ($6, $7, $8, $9))
                  ORDER BY month, workshop_id, slip_id, subsidy LIMIT $10) e
            LEFT JOIN LATERAL (SELECT name, id_masked FROM {S}.employments m WHERE m.workshop_id = e.workshop_id
                               AND m.id_hash = e.id_hash ORDER BY start_date DESC LIMIT 1) w ON true
            LEFT JOIN {S}.slips s ON s.slip_id = e.slip_id
            LEFT JOIN LATERAL (
                SELECT coalesce(sum(l.amount_fen) FILTER (WHERE l.rejected_reason IS NULL), 0)::bigint AS claimed_fen,
                       (array_agg(k.status ORDER BY k.filed_at DESC)
                          FILTER (WHERE l.rejected_reason IS NULL))[1] AS claim_status,
                       (array_agg(k.claim_id ORDER BY k.filed_at DESC)
                          FILTER (WHERE l.rejected_reason IS NULL))[1] AS last_claim_id,
                       bool_or(l.rejected_reason IS NOT NULL) AS rejected
                FROM {S}.claim_lines l JOIN {S}.claims k USING (claim_id)
                WHERE l.slip_id = e.slip_id AND l.subsidy = e.subsidy AND k.organisation = e.organisation) c ON true
            ORDER BY e.month, e.workshop_id, e.slip_id, e.subsidy""",
        county, organisation, month, workshop_id, subsidy, *(key or (None, None, None, None)), limit + 1)
    rows, next_after = paging.page(rows, limit, lambda r: [r["month"], r["workshop_id"], r["slip_id"], r["subsidy"]])
    versions = {c: await _versions(conn, c) for c in sorted({r["county"] for r in rows})}
    rendered = await _rendered(conn, rows, versions)
    homes = await registry_counties(conn, (r["id_hash"] for r in rows))
    lines = []
    for r in rows:
        line = _line(r, versions, rendered)
        line.explanation = disclose(line.explanation, viewer, homes.get(r["id_hash"], frozenset()))
        line.worker_name, line.id_masked = r["worker_name"], r["id_masked"]
        line.slip = f"/organisations/{r['organisation']}/slips/{r['slip']}" if r["slip"] is not None else None
        line.claimed_fen = r["claimed_fen"] or 0
        line.claim_status = r["claim_status"] or ("rejected" if r["rejected"] else "unclaimed")
        line.last_claim_id = r["last_claim_id"]
        lines.append(line)
    return EntitlementPage(items=lines, next_after=next_after)


async def workshop_in_county(pool: asyncpg.Pool, county: str, workshop_id: UUID) -> bool:
    return await pool.fetchval(f"SELECT 1 FROM {S}.workshops WHERE workshop_id = $1 AND county = $2",
                               workshop_id, county) is not None


async def certification_months(pool: asyncpg.Pool, county: str, workshop_id: UUID) -> list[CertificationMonth] | None:
    if not await workshop_in_county(pool, county, workshop_id):
        return None
    rows = await pool.fetch(f"SELECT * FROM {S}.workshop_months WHERE workshop_id = $1 ORDER BY month", workshop_id)
    versions = await _versions(pool, county)
    return [CertificationMonth(month=r["month"], staff=r["staff"], qualifying_workers=r["qualifying_workers"],
                               meets_criteria=r["meets_criteria"],
                               explanation=expand_parameters(json.loads(r["explanation"]), versions, county))
            for r in rows]


class QualifyingWorker(msgspec.Struct, kw_only=True):
    employment_id: UUID
    name: str
    id_masked: str


class EmployerCertificationMonth(msgspec.Struct, kw_only=True):
    month: str
    staff: int
    qualifying_workers: int
    meets_criteria: bool
    rule: str
    qualifying: list[QualifyingWorker]
    """The organisation's own employees who qualify, as its employment records name them."""


async def employer_certification_months(pool: asyncpg.Pool, organisation: str, workshop_id: UUID
                                        ) -> list[EmployerCertificationMonth] | None:
    """Certification months as the employer may read them: counts, the rule, and its own qualifying workers by
    employment record (never an ID hash, household or category)."""
    found = await pool.fetchval(f"SELECT 1 FROM {S}.workshops WHERE workshop_id = $1 AND organisation = $2",
                                workshop_id, organisation)
    if found is None:
        return None
    rows = await pool.fetch(f"SELECT * FROM {S}.workshop_months WHERE workshop_id = $1 ORDER BY month", workshop_id)
    staff = await pool.fetch(f"SELECT employment_id, id_hash, name, id_masked, start_date, end_date FROM"
                             f" {S}.employments WHERE workshop_id = $1 ORDER BY start_date, employment_id", workshop_id)
    out = []
    for r in rows:
        explanation = json.loads(r["explanation"])
        first, last = f"{r['month']}-01", f"{r['month']}-31"
        people = []
        for h in explanation.get("qualifying_workers", []):
            e = next((e for e in staff if e["id_hash"] == h and e["start_date"].isoformat() <= last
                      and (e["end_date"] is None or e["end_date"].isoformat() >= first)), None)
            if e is not None:
                people.append(QualifyingWorker(employment_id=e["employment_id"], name=e["name"],
                                               id_masked=e["id_masked"]))
        out.append(EmployerCertificationMonth(month=r["month"], staff=r["staff"],
                                              qualifying_workers=r["qualifying_workers"],
                                              meets_criteria=r["meets_criteria"], rule=str(explanation.get("rule", "")),
                                              qualifying=people))
    return out


class UnmatchedSlipPage(msgspec.Struct, kw_only=True):
    items: list[UnmatchedSlip]
    next_after: str | None


class UnmatchedLinePage(msgspec.Struct, kw_only=True):
    items: list[UnmatchedLine]
    next_after: str | None


async def unmatched_slips(pool: asyncpg.Pool, organisation: str, after: str | None = None,
                          limit: int = 500) -> UnmatchedSlipPage:
    key = paging.parse(after, paging.text, UUID, UUID)
    rows = await pool.fetch(
        f"SELECT slip_id, workshop_id, month, version, net_fen, pay_date, bank_ref, rejected_reason FROM {S}.slips"
        " WHERE organisation = $1 AND NOT voided AND verified_version IS DISTINCT FROM version"
        " AND ($2::text IS NULL OR (month, workshop_id, slip_id) > ($2, $3, $4))"
        " ORDER BY month, workshop_id, slip_id LIMIT $5", organisation, *(key or (None, None, None)), limit + 1)
    items, next_after = paging.page([UnmatchedSlip(**dict(r)) for r in rows], limit,
                                    lambda s: [s.month, s.workshop_id, s.slip_id])
    return UnmatchedSlipPage(items=items, next_after=next_after)


async def unmatched_lines(pool: asyncpg.Pool, organisation: str, after: str | None = None,
                          limit: int = 500) -> UnmatchedLinePage:
    key = paging.parse(after, UUID, paging.int32)
    rows = await pool.fetch(
        f"SELECT statement_id, line, paid_on, amount_fen, payee_name, reference FROM {S}.statement_lines"
        " WHERE organisation = $1 AND matched_slip IS NULL"
        " AND ($2::uuid IS NULL OR (statement_id, line) > ($2, $3)) ORDER BY statement_id, line LIMIT $4",
        organisation, *(key or (None, None)), limit + 1)
    items, next_after = paging.page([UnmatchedLine(**dict(r)) for r in rows], limit, lambda x: [x.statement_id,
                                                                                                x.line])
    return UnmatchedLinePage(items=items, next_after=next_after)


class FlagView(msgspec.Struct, kw_only=True):
    flag_id: str
    kind: str
    subject: str
    evidence: dict[str, Any]
    raised_at: datetime


class FlagPage(msgspec.Struct, kw_only=True):
    items: list[FlagView]
    next_after: str | None


async def flags(pool: asyncpg.Pool, county: str, kind: str | None, after: str | None = None,
                limit: int = 500) -> FlagPage:
    key = paging.parse(after, paging.instant, paging.text)
    rows = await pool.fetch(
        f"SELECT * FROM {S}.flags WHERE county = $1 AND ($2::text IS NULL OR kind = $2)"
        " AND ($3::timestamptz IS NULL OR (raised_at, flag_id) > ($3, $4)) ORDER BY raised_at, flag_id LIMIT $5",
        county, kind, *(key or (None, None)), limit + 1)
    items, next_after = paging.page(
        [FlagView(flag_id=r["flag_id"], kind=r["kind"], subject=r["subject"], evidence=json.loads(r["evidence"]),
                  raised_at=r["raised_at"]) for r in rows], limit, lambda f: [f.raised_at.isoformat(), f.flag_id])
    return FlagPage(items=items, next_after=next_after)


class CertificationPeriodView(msgspec.Struct, kw_only=True):
    """One certification period (认定) of a workshop: in force from ``certified_on`` up to ``ends_on``."""

    plaque_number: str
    certified_on: date
    ends_on: date | None
    end_reason: str | None


async def certification_periods(pool: asyncpg.Pool, county: str, workshop_id: UUID
                                ) -> list[CertificationPeriodView] | None:
    if not await workshop_in_county(pool, county, workshop_id):
        return None
    rows = await pool.fetch(f"SELECT * FROM {S}.workshop_certifications WHERE workshop_id = $1 ORDER BY seq",
                            workshop_id)
    return [period_view(r) for r in rows]


def period_view(r: asyncpg.Record) -> CertificationPeriodView:
    return CertificationPeriodView(plaque_number=r["plaque_number"], certified_on=r["certified_on"],
                                   ends_on=r["ends_on"], end_reason=r["end_reason"])


async def organisation_workshops(pool: asyncpg.Pool, organisation: str) -> list[tuple[str, str]]:
    """(workshop id, name) of an organisation's workshops, by name: what an employer copies into a slip table."""
    rows = await pool.fetch(f"SELECT workshop_id, name FROM {S}.workshops WHERE organisation = $1"
                            " ORDER BY name, workshop_id", organisation)
    return [(str(r["workshop_id"]), r["name"]) for r in rows]
