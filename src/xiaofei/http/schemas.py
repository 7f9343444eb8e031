"""Request and response bodies (msgspec Structs). Constraints here are checked before any use case runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from xiaofei.domain.bounds import MAX_COUNT, MAX_FEN

Code6 = Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", description="6-digit county code")]
Village = Annotated[str, msgspec.Meta(pattern=r"^\d{12}$", description="12-digit village code")]
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
"""No control characters at all (names, codes, references)."""
LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Tabs and line breaks allowed, no other control character (reasons, notes)."""
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=ONE_LINE,
                                   description="one line of text, no control characters")]
Note = Annotated[str, msgspec.Meta(max_length=2000, pattern=LINES, description="text, no control characters")]
# The bounds of every amount and quantity a body states (``domain/bounds.py``, the rule the use cases apply too):
# msgspec decodes any JSON integer, 2^64 and 10^30 included, so the schema is where they stop.
Fen = Annotated[int, msgspec.Meta(ge=0, le=MAX_FEN, description="Amount in fen (分): 0 to 10^11 (10亿元)")]
PositiveFen = Annotated[int, msgspec.Meta(ge=1, le=MAX_FEN, description="Amount in fen (分): 1 to 10^11 (10亿元)")]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT, description="Whole units: 0 to 10^9")]
PositiveCount = Annotated[int, msgspec.Meta(ge=1, le=MAX_COUNT, description="Whole units: 1 to 10^9")]


class CommandAccepted(msgspec.Struct, kw_only=True):
    position: int
    """Log position this command produced: pass it as ``min_position`` to read your write."""


class CountyCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: Code6
    name: Text
    province: Text


class TokenCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: str
    counties: list[Code6] = []
    organisation_id: str | None = None
    label: Annotated[str, msgspec.Meta(max_length=200, pattern=ONE_LINE)] = ""


class TokenIssued(msgspec.Struct, kw_only=True):
    token_id: UUID
    token: str
    """The secret. Shown once; only its hash is kept."""
    role: str
    counties: list[str]
    organisation_id: str | None
    position: int


class TokenRevoke(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Text


class MemberCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    person_number: Text
    name: Text
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    relation: str
    labour_capacity: str
    disability: str | None = None


class HouseholdCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    household_number: Text
    village_code: Village
    category: str
    subtype: str | None = None
    causes: list[str] = []
    members: list[MemberCreate]
    effective_date: date


class MemberAdd(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    member: MemberCreate
    joined_on: date
    reason: Note = ""


class MemberRemove(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    left_on: date
    reason: Text


class CategoryChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    category: str
    subtype: str | None = None
    effective_date: date
    reason: str
    note: Note = ""


class OtherIncomeDeclare(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    year: int
    income_type: str
    amount_fen: Fen
    note: Note = ""


class IdRevealRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    purpose: Text


class IdRevealed(msgspec.Struct, kw_only=True):
    id_number: str
    position: int


class ImportSummary(msgspec.Struct, kw_only=True):
    file_sha256: str
    rows: int
    households: int
    registered: int
    unchanged: int
    already_imported: bool
    position: int


class ParameterCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    value: Annotated[str, msgspec.Meta(max_length=200)]
    effective_from: date
    effective_to: date | None = None
    source: Text
    era: str | None = None  # campaign | transition; by default the era effective_from falls in


class PresetAdopt(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    preset: Text
    effective_from: date | None = None


class PresetView(msgspec.Struct, kw_only=True):
    name: str
    title: str
    source: str
    era: str
    effective_from: date
    effective_to: date | None
    values: dict[str, str]


class EventRecord(msgspec.Struct, kw_only=True):
    version: int
    type: str
    recorded_at: datetime
    actor: str | None
    data: dict[str, Any]


class Health(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``/health`` answers ``{"status":"ok"}`` as README.md shows it; ``/ready`` adds ``projectors``."""

    status: str
    projectors: str | None = None


class OrganisationCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    credit_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    name: Text
    form: str
    address: Note = ""


class WorkshopCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    workshop_type: str
    village_code: Village
    premises: Note = ""


class Created(msgspec.Struct, kw_only=True):
    id: UUID
    position: int


class WorkerHire(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    contract_type: str
    start: date
    end: date | None = None
    pay_form: str = "monthly"


class EmploymentEnd(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    end: date
    reason: Note = ""


class Certification(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    plaque_number: Text
    certified_on: date


class Reason(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Text


class Decertification(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    effective_date: date
    reason: Text


class SlipUploadResult(msgspec.Struct, kw_only=True):
    upload_id: UUID
    rows: int
    reported: int
    corrected: int
    unchanged: int
    replayed: bool
    """True when this Idempotency-Key was seen before with the same content: nothing was written."""
    position: int
    verified: int = 0
    """Slips of this upload proven at once by bank statement lines already on file."""


class StatementUploadResult(msgspec.Struct, kw_only=True):
    statement_id: UUID
    lines: int
    matched: int
    """Slips this upload proved (the same file sent again tries its still-open lines again)."""
    already_uploaded: bool
    position: int


Month = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class ClaimCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    period_from: Month
    period_to: Month


class ClaimFiled(msgspec.Struct, kw_only=True):
    claim_id: UUID
    lines: int
    total_fen: int
    position: int


class NoticePublish(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    published_on: Annotated[date | None, msgspec.Meta(
        description="When the notice was actually published: not before the filing date, not in the future. "
                    "Omitted: today in Asia/Shanghai.", examples=["2026-05-11"])] = None


class ClaimApprove(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    approved_on: Annotated[date | None, msgspec.Meta(
        description="Not before the notice ends, not in the future. Omitted: today in Asia/Shanghai.",
        examples=["2026-05-18"])] = None


class ClaimPay(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    paid_on: Annotated[date | None, msgspec.Meta(
        description="On or after the approval, not in the future. Omitted: today in Asia/Shanghai.",
        examples=["2026-05-19"])] = None
    references: Annotated[dict[str, Annotated[str, msgspec.Meta(min_length=1, max_length=100)]], msgspec.Meta(
        examples=[{"employer": "GK20260519-0001", "worker:9f2c…": "GK20260519-0002"}])]
    """Payment reference per payee (``employer`` or ``worker:<id hash>``), for every payee with money due."""


class AdjustmentClaimCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    organisation: Annotated[str, msgspec.Meta(min_length=1, max_length=32, description="Credit code",
                                              examples=["91360724MA35XXXX0L"])]


class ObjectionLodge(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, description="The objection as received",
                                      examples=["工人王芳三月并未在车间上班"])]
    lodged_on: Annotated[date | None, msgspec.Meta(
        description="When it was received: during the notice, not in the future. Omitted: today in Asia/Shanghai.",
        examples=["2026-05-13"])] = None


class ObjectionLodged(msgspec.Struct, kw_only=True):
    number: int
    """The objection's number on this claim (1, 2, …): use it to resolve it."""
    position: int


class ObjectionResolve(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    resolution: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, description="What was found and decided",
                                            examples=["核查考勤与银行流水，属实；已驳回第2行"])]


class PendingLineView(msgspec.Struct, kw_only=True):
    slip_id: UUID
    subsidy: str
    payee: str
    workshop_id: UUID
    month: str
    slip_version: int
    entitled_fen: int
    previously_claimed_fen: int
    amount_fen: int
    kind: str
    """``arrears`` (+), ``clawback`` (-), or ``entitlement`` for a rejected line that came back."""
    adjusts_claim: UUID | None
    explanation: dict[str, Any]


class PendingAdjustmentsView(msgspec.Struct, kw_only=True):
    organisation: str
    total_fen: int
    net_by_payee: dict[str, int]
    """Negative: what would be owed back (a recovery) once an adjustment claim is paid."""
    lines: list[PendingLineView]


class PendingAdjustmentsPage(msgspec.Struct, kw_only=True):
    items: list[PendingAdjustmentsView]
    """Organisations of this page with something pending (those with nothing pending are left out)."""
    next_after: str | None
    """Pass as ``after`` for the next page; null when every organisation with claims was looked at."""


class Problem(msgspec.Struct, kw_only=True):
    """``application/problem+json`` (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None
    request_id: str | None = None


class RecoverySettle(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    organisation: Text
    payee: Text
    amount_fen: PositiveFen
    reference: Text


class CostReport(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    month: Month
    kind: str
    amount_fen: PositiveFen
    evidence: Text


class TraineeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    id_number: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class TrainingRecord(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    held_on: date
    course: Text
    hours: Annotated[int, msgspec.Meta(ge=1, le=2000, description="Hours of training: 1 to 2000")]
    trainees: Annotated[list[TraineeIn], msgspec.Meta(max_length=2000)]
