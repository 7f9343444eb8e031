"""Subsidy claims (申报): review, public notice (公示), approval, payment; the ledger that stops double claims
and carries arrears, clawbacks and recoveries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.errors import Conflict, NotFound, invalid

LINE_KINDS = ("entitlement", "arrears", "clawback")


class ClaimLine(msgspec.Struct, frozen=True, kw_only=True):
    line_no: int
    slip_id: UUID
    subsidy: str
    payee: str
    """``employer``, or ``worker:<id hash>``: where the money goes."""
    workshop_id: UUID
    month: str
    slip_version: int
    entitled_fen: int
    previously_claimed_fen: int
    amount_fen: int
    """``entitled_fen - previously_claimed_fen``: the whole entitlement, or an arrears (+) / clawback (-) line."""
    kind: str
    adjusts_claim: UUID | None
    explanation: dict[str, Any]


class Payment(msgspec.Struct, frozen=True, kw_only=True):
    payee: str
    amount_fen: int
    reference: str


class Claim(Aggregate):
    """One claim of an organisation for a period (a month or a quarter)."""

    class Filed(Aggregate.Created):
        organisation: str
        county: str
        period_from: str
        period_to: str
        lines: list[ClaimLine]
        actor: str

    @event(Filed)
    def __init__(self, organisation: str, county: str, period_from: str, period_to: str, lines: list[ClaimLine],
                 actor: str) -> None:
        self.organisation = organisation
        self.county = county
        self.period_from = period_from
        self.period_to = period_to
        self.lines = {line.line_no: line for line in lines}
        self.rejected: dict[int, str] = {}
        self.status = "filed"
        self.notice_ends: date | None = None

    def _expect(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise Conflict(f"the claim is {self.status}; this needs it {' or '.join(statuses)}")

    class LineRejected(Aggregate.Event):
        line_no: int
        reason: str
        actor: str

    def reject_line(self, line_no: int, reason: str, actor: str) -> ClaimLine:
        self._expect("filed")
        line = self.lines.get(line_no)
        if line is None:
            raise NotFound(f"no line {line_no} in this claim")
        if line_no in self.rejected:
            raise Conflict(f"line {line_no} is already rejected")
        if not reason.strip():
            raise invalid("reason", "is required")
        self._line_rejected(line_no=line_no, reason=reason.strip(), actor=actor)
        return line

    @event(LineRejected)
    def _line_rejected(self, line_no: int, reason: str, actor: str) -> None:
        self.rejected[line_no] = reason

    class NoticePublished(Aggregate.Event):
        published_on: date
        notice_days: int
        ends_on: date
        actor: str

    def publish_notice(self, published_on: date, notice_days: int, actor: str) -> None:
        self._expect("filed")
        self._notice_published(published_on=published_on, notice_days=notice_days,
                               ends_on=published_on + timedelta(days=notice_days), actor=actor)

    @event(NoticePublished)
    def _notice_published(self, published_on: date, notice_days: int, ends_on: date, actor: str) -> None:
        self.status = "in_notice"
        self.notice_ends = ends_on

    class Approved(Aggregate.Event):
        approved_on: date
        actor: str

    def approve(self, approved_on: date, actor: str) -> None:
        self._expect("in_notice")
        assert self.notice_ends is not None
        if approved_on < self.notice_ends:
            raise invalid("approved_on", f"the public notice (公示) runs until {self.notice_ends.isoformat()}")
        self._approved(approved_on=approved_on, actor=actor)

    @event(Approved)
    def _approved(self, approved_on: date, actor: str) -> None:
        self.status = "approved"

    def payable(self) -> dict[str, int]:
        """Net amount per payee over the lines not rejected."""
        out: dict[str, int] = {}
        for no, line in sorted(self.lines.items()):
            if no not in self.rejected:
                out[line.payee] = out.get(line.payee, 0) + line.amount_fen
        return out

    class Paid(Aggregate.Event):
        paid_on: date
        payments: list[Payment]
        recoveries: dict[str, int]
        actor: str

    def pay(self, paid_on: date, references: dict[str, str], actor: str) -> None:
        self._expect("approved")
        net = self.payable()
        to_pay = {p: amount for p, amount in net.items() if amount > 0}
        missing = sorted(set(to_pay) - set(references))
        if missing:
            raise invalid("references", f"a payment reference is needed for every payee: missing {', '.join(missing)}")
        unknown = sorted(set(references) - set(to_pay))
        if unknown:
            raise invalid("references", f"nothing is payable to {', '.join(unknown)}")
        payments = [Payment(payee=p, amount_fen=a, reference=references[p]) for p, a in sorted(to_pay.items())]
        recoveries = {p: -a for p, a in sorted(net.items()) if a < 0}
        self._paid(paid_on=paid_on, payments=payments, recoveries=recoveries, actor=actor)

    @event(Paid)
    def _paid(self, paid_on: date, payments: list[Payment], recoveries: dict[str, int], actor: str) -> None:
        self.status = "paid"


class ClaimLedger(Aggregate):
    """Per organisation: what has been claimed for each (slip, subsidy), and recoveries owed back."""

    @staticmethod
    def create_id(organisation: str) -> UUID:
        return ids.claim_ledger_id(organisation)

    class Opened(Aggregate.Created):
        organisation: str

    @event(Opened)
    def __init__(self, organisation: str) -> None:
        self.organisation = organisation
        self.claimed: dict[tuple[UUID, str], int] = {}
        self.last_claim: dict[tuple[UUID, str], UUID] = {}
        self.recoveries: dict[str, int] = {}

    class LinesClaimed(Aggregate.Event):
        claim_id: UUID
        lines: list[ClaimLine]

    @event(LinesClaimed)
    def record_claim(self, claim_id: UUID, lines: list[ClaimLine]) -> None:
        for line in lines:
            key = (line.slip_id, line.subsidy)
            self.claimed[key] = self.claimed.get(key, 0) + line.amount_fen
            self.last_claim[key] = claim_id

    class LineReleased(Aggregate.Event):
        claim_id: UUID
        slip_id: UUID
        subsidy: str
        amount_fen: int

    @event(LineReleased)
    def release(self, claim_id: UUID, slip_id: UUID, subsidy: str, amount_fen: int) -> None:
        """A rejected line no longer counts as claimed, so it can be claimed again once put right."""
        key = (slip_id, subsidy)
        self.claimed[key] = self.claimed.get(key, 0) - amount_fen

    class RecoveryOpened(Aggregate.Event):
        claim_id: UUID
        payee: str
        amount_fen: int

    @event(RecoveryOpened)
    def open_recovery(self, claim_id: UUID, payee: str, amount_fen: int) -> None:
        self.recoveries[payee] = self.recoveries.get(payee, 0) + amount_fen

    class RecoverySettled(Aggregate.Event):
        payee: str
        amount_fen: int
        reference: str
        actor: str

    def settle_recovery(self, payee: str, amount_fen: int, reference: str, actor: str) -> None:
        owed = self.recoveries.get(payee, 0)
        if owed <= 0:
            raise NotFound(f"nothing is owed back by {payee}")
        if not 0 < amount_fen <= owed:
            raise invalid("amount_fen", f"must be between 1 and the {owed} fen still owed")
        if not reference.strip():
            raise invalid("reference", "is required")
        self._settled(payee=payee, amount_fen=amount_fen, reference=reference.strip(), actor=actor)

    @event(RecoverySettled)
    def _settled(self, payee: str, amount_fen: int, reference: str, actor: str) -> None:
        self.recoveries[payee] -= amount_fen
