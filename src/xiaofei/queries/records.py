"""Reads of the remaining things commands write: API tokens (never their hashes), household import files, workshop
costs, trainings and bank statements with how each line was matched. Every list is keyset-paged."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg
import msgspec

from xiaofei.queries import paging
from xiaofei.queries.workforce import mask_account

E = "rm_employment"


class TokenView(msgspec.Struct, kw_only=True):
    token_id: UUID
    role: str
    counties: list[str]
    organisation_id: str | None
    label: str
    issued_by: str
    issued_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None


class TokenPage(msgspec.Struct, kw_only=True):
    items: list[TokenView]
    next_after: str | None


async def tokens(pool: asyncpg.Pool, *, role: str | None = None, revoked: bool | None = None,
                 after: str | None = None, limit: int = 100) -> TokenPage:
    key = paging.parse(after, paging.instant, UUID)
    rows = await pool.fetch(
        "SELECT token_id, role, counties, organisation_id, label, issued_by, issued_at, revoked_at, revoked_reason"
        " FROM rm_access.tokens WHERE ($1::text IS NULL OR role = $1)"
        " AND ($2::boolean IS NULL OR (revoked_at IS NOT NULL) = $2)"
        " AND ($3::timestamptz IS NULL OR (issued_at, token_id) > ($3, $4)) ORDER BY issued_at, token_id LIMIT $5",
        role, revoked, *(key or (None, None)), limit + 1)
    items, next_after = paging.page([TokenView(**{**dict(r), "counties": list(r["counties"])}) for r in rows], limit,
                                    lambda t: [t.issued_at.isoformat(), t.token_id])
    return TokenPage(items=items, next_after=next_after)


class HouseholdImportView(msgspec.Struct, kw_only=True):
    file_sha256: str
    filename: str
    rows: int
    registered: int
    unchanged: int
    actor: str
    recorded_at: datetime


class HouseholdImportPage(msgspec.Struct, kw_only=True):
    items: list[HouseholdImportView]
    next_after: str | None
    """Newest first."""


async def household_imports(pool: asyncpg.Pool, county: str, *, after: str | None = None,
                            limit: int = 100) -> HouseholdImportPage:
    key = paging.parse(after, paging.instant, paging.text)
    rows = await pool.fetch(
        "SELECT file_sha256, filename, rows, registered, unchanged, actor, recorded_at FROM rm_registry.household_imports"
        " WHERE county = $1 AND ($2::timestamptz IS NULL OR (recorded_at, file_sha256) < ($2, $3))"
        " ORDER BY recorded_at DESC, file_sha256 DESC LIMIT $4", county, *(key or (None, None)), limit + 1)
    items, next_after = paging.page([HouseholdImportView(**dict(r)) for r in rows], limit,
                                    lambda i: [i.recorded_at.isoformat(), i.file_sha256])
    return HouseholdImportPage(items=items, next_after=next_after)


class CostView(msgspec.Struct, kw_only=True):
    month: str
    kind: str
    amount_fen: int
    evidence: str


class CostPage(msgspec.Struct, kw_only=True):
    items: list[CostView]
    next_after: str | None


async def workshop_costs(pool: asyncpg.Pool, workshop_id: UUID, *, after: str | None = None,
                         limit: int = 100) -> CostPage:
    key = paging.parse(after, paging.text, paging.text)
    rows = await pool.fetch(
        f"SELECT month, kind, amount_fen, evidence FROM {E}.workshop_costs WHERE workshop_id = $1"
        " AND ($2::text IS NULL OR (month, kind) > ($2, $3)) ORDER BY month, kind LIMIT $4",
        workshop_id, *(key or (None, None)), limit + 1)
    items, next_after = paging.page([CostView(**dict(r)) for r in rows], limit, lambda c: [c.month, c.kind])
    return CostPage(items=items, next_after=next_after)


class TraineeView(msgspec.Struct, kw_only=True):
    name: str
    id_masked: str


class TrainingView(msgspec.Struct, kw_only=True):
    training_id: UUID
    workshop_id: UUID
    held_on: date
    course: str
    hours: int
    trainees: list[TraineeView]


class TrainingPage(msgspec.Struct, kw_only=True):
    items: list[TrainingView]
    next_after: str | None


async def trainings(pool: asyncpg.Pool, organisation: str, *, workshop_id: UUID | None = None,
                    after: str | None = None, limit: int = 100) -> TrainingPage:
    key = paging.parse(after, paging.day, UUID)
    rows = await pool.fetch(
        f"SELECT training_id, workshop_id, held_on, course, hours FROM {E}.trainings WHERE organisation = $1"
        " AND ($2::uuid IS NULL OR workshop_id = $2) AND ($3::date IS NULL OR (held_on, training_id) > ($3, $4))"
        " ORDER BY held_on, training_id LIMIT $5", organisation, workshop_id, *(key or (None, None)), limit + 1)
    people = await pool.fetch(f"SELECT training_id, name, id_masked FROM {E}.trainees WHERE training_id = ANY($1)"
                              " ORDER BY training_id, name, id_masked", [r["training_id"] for r in rows[:limit]])
    items, next_after = paging.page(
        [TrainingView(**dict(r), trainees=[TraineeView(name=p["name"], id_masked=p["id_masked"]) for p in people
                                          if p["training_id"] == r["training_id"]]) for r in rows],
        limit, lambda t: [t.held_on.isoformat(), t.training_id])
    return TrainingPage(items=items, next_after=next_after)


class StatementSummary(msgspec.Struct, kw_only=True):
    statement_id: UUID
    lines: int
    matched: int
    first_paid_on: date
    last_paid_on: date
    amount_fen: int


class StatementPage(msgspec.Struct, kw_only=True):
    items: list[StatementSummary]
    next_after: str | None


class StatementLineView(msgspec.Struct, kw_only=True):
    line: int
    paid_on: date
    amount_fen: int
    payee_name: str
    payee_account_masked: str
    reference: str
    matched_slip: UUID | None
    """The slip this payment proved (GET …/slips/{slip_id} says how); null while it matched none."""


class StatementView(msgspec.Struct, kw_only=True):
    statement: StatementSummary
    lines: list[StatementLineView]
    """Every line of the file (a statement upload holds at most what XIAOFEI_MAX_UPLOAD_BYTES allows)."""


_STATEMENT = (f"SELECT statement_id, count(*)::int AS lines, count(matched_slip)::int AS matched,"
              f" min(paid_on) AS first_paid_on, max(paid_on) AS last_paid_on, sum(amount_fen)::bigint AS amount_fen"
              f" FROM {E}.statement_lines WHERE organisation = $1")


async def statements(pool: asyncpg.Pool, organisation: str, *, after: str | None = None,
                     limit: int = 100) -> StatementPage:
    key = paging.parse(after, UUID)
    rows = await pool.fetch(_STATEMENT + " AND ($2::uuid IS NULL OR statement_id > $2) GROUP BY statement_id"
                            " ORDER BY statement_id LIMIT $3", organisation, key[0] if key else None, limit + 1)
    items, next_after = paging.page([StatementSummary(**dict(r)) for r in rows], limit, lambda s: [s.statement_id])
    return StatementPage(items=items, next_after=next_after)


async def statement(pool: asyncpg.Pool, organisation: str, statement_id: UUID) -> StatementView | None:
    head = await pool.fetchrow(_STATEMENT + " AND statement_id = $2 GROUP BY statement_id", organisation,
                               statement_id)
    if head is None:
        return None
    rows = await pool.fetch(f"SELECT * FROM {E}.statement_lines WHERE statement_id = $1 ORDER BY line", statement_id)
    return StatementView(statement=StatementSummary(**dict(head)), lines=[StatementLineView(
        line=r["line"], paid_on=r["paid_on"], amount_fen=r["amount_fen"], payee_name=r["payee_name"],
        payee_account_masked=mask_account(r["payee_account"]), reference=r["reference"],
        matched_slip=r["matched_slip"]) for r in rows])
