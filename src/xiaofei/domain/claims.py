"""Subsidy claims (申报): review, public notice (公示) with objections, approval, payment; the ledger that stops
double claims and carries arrears, clawbacks, rejections and recoveries. What a claim contains is decided by
``xiaofei.rules.claims.claim_lines``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.clock import business_day
from xiaofei.domain.errors import Conflict, NotFound, invalid
from xiaofei.domain.notice import after_notice, not_future, objection_text

LINE_KINDS = ("entitlement", "arrears", "clawback")
INITIATIVES = ("employer", "county")
"""Who filed a claim: the employer, or the county settling pending adjustments on its own initiative."""

Key = tuple[UUID, str]
"""What the ledger counts claims against: the entitlement line's subject (``slip_id`` column) and the subsidy."""


class ClaimLine(msgspec.Struct, frozen=True, kw_only=True):
    line_no: int
    slip_id: UUID
    """The entitlement line's subject: a slip, or the stable id of a hiring award, training or rent month."""
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
    verification: str | None = None
    """What proved the slip version when the line was built (bank match or an official's check); with the slip
    version and the entitled amount, the facts a rejected line is compared on."""

    @property
    def key(self) -> Key:
        return (self.slip_id, self.subsidy)

    @property
    def facts(self) -> tuple[int, int, str | None]:
        return (self.slip_version, self.entitled_fen, self.verification)


class Payment(msgspec.Struct, frozen=True, kw_only=True):
    payee: str
    amount_fen: int
    reference: str


@dataclass
class Objection:
    number: int
    text: str
    lodged_on: date
    resolution: str | None = None
    resolved_on: date | None = None


class Claim(Aggregate):
    """One claim of an organisation for a period (a month up to the county's claim cycle, `claim.max_period_months`).

    filed → review started (lines may be rejected) → review finished → public notice from its real publication
    date, objections lodged and resolved (a line may still be rejected when one is upheld) → approved once
    ``notice_days`` have run and no objection is open → paid on or after approval.
    The caller passes ``today`` (the business date in Asia/Shanghai): no stated date may be after it.
    """

    class Filed(Aggregate.Created):
        class_version: ClassVar[int] = 2
        organisation: str
        county: str
        period_from: str
        period_to: str
        lines: list[ClaimLine]
        actor: str
        filed_on: date
        initiated_by: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 claims were filed by employers; their filing date is the recording instant's Chinese date."""
            recorded = datetime.fromisoformat(str(state["timestamp"]).replace("Z", "+00:00"))
            state["filed_on"] = business_day(recorded).isoformat()
            state["initiated_by"] = "employer"

    @event(Filed)
    def __init__(self, organisation: str, county: str, period_from: str, period_to: str, lines: list[ClaimLine],
                 actor: str, filed_on: date, initiated_by: str) -> None:
        self.organisation = organisation
        self.county = county
        self.period_from = period_from
        self.period_to = period_to
        self.lines = {line.line_no: line for line in lines}
        self.filed_on = filed_on
        self.initiated_by = initiated_by
        self.rejected: dict[int, str] = {}
        self.reinstated: dict[int, str] = {}
        self.objections: dict[int, Objection] = {}
        self.status = "filed"
        self.published_on: date | None = None
        self.notice_ends: date | None = None
        self.approved_on: date | None = None

    def _expect(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise Conflict(f"the claim is {self.status}; this needs it {' or '.join(statuses)}")

    # -- review ------------------------------------------------------------------------------------

    class ReviewStarted(Aggregate.Event):
        started_on: date
        actor: str

    def start_review(self, today: date, actor: str) -> None:
        """The county takes the claim up (审核): from now its lines may be rejected."""
        self._expect("filed")
        self._review_started(started_on=today, actor=actor)

    @event(ReviewStarted)
    def _review_started(self, started_on: date, actor: str) -> None:
        self.status = "in_review"

    class ReviewFinished(Aggregate.Event):
        finished_on: date
        actor: str

    def finish_review(self, today: date, actor: str) -> None:
        """The review is done: what is not rejected goes to the public notice."""
        self._expect("in_review")
        self._review_finished(finished_on=today, actor=actor)

    @event(ReviewFinished)
    def _review_finished(self, finished_on: date, actor: str) -> None:
        self.status = "reviewed"

    class LineRejected(Aggregate.Event):
        line_no: int
        reason: str
        actor: str

    def reject_line(self, line_no: int, reason: str, actor: str) -> ClaimLine:
        """In review, or during the notice when an objection is upheld."""
        self._expect("in_review", "in_notice")
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

    class LineReinstated(Aggregate.Event):
        line_no: int
        reason: str
        actor: str

    def reinstate_line(self, line_no: int, reason: str, actor: str) -> ClaimLine:
        """The rejection stands in this claim; the line may be claimed again in a later one."""
        line = self.lines.get(line_no)
        if line is None:
            raise NotFound(f"no line {line_no} in this claim")
        if line_no not in self.rejected:
            raise Conflict(f"line {line_no} was not rejected")
        if line_no in self.reinstated:
            raise Conflict(f"line {line_no} is already reinstated")
        if not reason.strip():
            raise invalid("reason", "is required")
        self._line_reinstated(line_no=line_no, reason=reason.strip(), actor=actor)
        return line

    @event(LineReinstated)
    def _line_reinstated(self, line_no: int, reason: str, actor: str) -> None:
        self.reinstated[line_no] = reason

    # -- public notice -------------------------------------------------------------------------------

    class NoticePublished(Aggregate.Event):
        published_on: date
        notice_days: int
        ends_on: date
        actor: str

    def publish_notice(self, published_on: date, today: date, notice_days: int, actor: str) -> None:
        self._expect("reviewed")
        not_future("published_on", published_on, today)
        if published_on < self.filed_on:
            raise invalid("published_on", f"cannot be before the claim was filed on {self.filed_on.isoformat()}")
        self._notice_published(published_on=published_on, notice_days=notice_days,
                               ends_on=published_on + timedelta(days=notice_days), actor=actor)

    @event(NoticePublished)
    def _notice_published(self, published_on: date, notice_days: int, ends_on: date, actor: str) -> None:
        self.status = "in_notice"
        self.published_on = published_on
        self.notice_ends = ends_on

    class ObjectionLodged(Aggregate.Event):
        number: int
        text: str
        lodged_on: date
        actor: str

    def lodge_objection(self, text: str, lodged_on: date, today: date, actor: str) -> int:
        """An objection (异议) received during the notice; the official records it."""
        self._expect("in_notice")
        assert self.published_on is not None and self.notice_ends is not None
        text = objection_text(text, lodged_on, today, self.published_on, self.notice_ends)
        number = len(self.objections) + 1
        self._objection_lodged(number=number, text=text, lodged_on=lodged_on, actor=actor)
        return number

    @event(ObjectionLodged)
    def _objection_lodged(self, number: int, text: str, lodged_on: date, actor: str) -> None:
        self.objections[number] = Objection(number, text, lodged_on)

    class ObjectionResolved(Aggregate.Event):
        number: int
        resolution: str
        resolved_on: date
        actor: str

    def resolve_objection(self, number: int, resolution: str, today: date, actor: str) -> None:
        objection = self.objections.get(number)
        if objection is None:
            raise NotFound(f"no objection {number} on this claim")
        if objection.resolution is not None:
            raise Conflict(f"objection {number} is already resolved")
        self._expect("in_notice")
        if not resolution.strip():
            raise invalid("resolution", "is required")
        self._objection_resolved(number=number, resolution=resolution.strip(), resolved_on=today, actor=actor)

    @event(ObjectionResolved)
    def _objection_resolved(self, number: int, resolution: str, resolved_on: date, actor: str) -> None:
        self.objections[number].resolution = resolution
        self.objections[number].resolved_on = resolved_on

    def open_objections(self) -> list[Objection]:
        return [o for _, o in sorted(self.objections.items()) if o.resolution is None]

    # -- approval and payment ------------------------------------------------------------------------

    class Approved(Aggregate.Event):
        approved_on: date
        actor: str

    def approve(self, approved_on: date, today: date, actor: str) -> None:
        self._expect("in_notice")
        assert self.notice_ends is not None and self.published_on is not None
        not_future("approved_on", approved_on, today)
        after_notice("approved_on", approved_on, self.published_on, self.notice_ends)
        unresolved = self.open_objections()
        if unresolved:
            raise Conflict("resolve every objection before approval: open "
                           + ", ".join(f"#{o.number} lodged on {o.lodged_on.isoformat()}" for o in unresolved))
        self._approved(approved_on=approved_on, actor=actor)

    @event(Approved)
    def _approved(self, approved_on: date, actor: str) -> None:
        self.status = "approved"
        self.approved_on = approved_on

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

    def pay(self, paid_on: date, today: date, references: dict[str, str], actor: str) -> None:
        self._expect("approved")
        assert self.approved_on is not None
        not_future("paid_on", paid_on, today)
        if paid_on < self.approved_on:
            raise invalid("paid_on", f"cannot be before the approval on {self.approved_on.isoformat()}")
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


@dataclass(frozen=True)
class ClaimedLine:
    claim_id: UUID
    line: ClaimLine


class ClaimLedger(Aggregate):
    """Per organisation: what has been claimed for each (subject, subsidy), which rejected lines are held back,
    and recoveries owed back."""

    @staticmethod
    def create_id(organisation: str) -> UUID:
        return ids.claim_ledger_id(organisation)

    class Opened(Aggregate.Created):
        organisation: str

    @event(Opened)
    def __init__(self, organisation: str) -> None:
        self.organisation = organisation
        self.claimed: dict[Key, int] = {}
        self.history: dict[Key, list[ClaimedLine]] = {}
        """The lines that count, oldest first (a rejected line no longer counts)."""
        self.held: dict[Key, ClaimedLine] = {}
        """Rejected lines, held back until their facts change or an official reinstates them."""
        self.recoveries: dict[str, int] = {}

    def last_claim(self, key: Key) -> UUID | None:
        found = self.history.get(key)
        return found[-1].claim_id if found else None

    def last_line(self, key: Key) -> ClaimLine | None:
        found = self.history.get(key)
        return found[-1].line if found else None

    class LinesClaimed(Aggregate.Event):
        claim_id: UUID
        lines: list[ClaimLine]

    @event(LinesClaimed)
    def record_claim(self, claim_id: UUID, lines: list[ClaimLine]) -> None:
        for line in lines:
            key = line.key
            self.claimed[key] = self.claimed.get(key, 0) + line.amount_fen
            self.history.setdefault(key, []).append(ClaimedLine(claim_id, line))
            self.held.pop(key, None)

    class LineReleased(Aggregate.Event):
        claim_id: UUID
        slip_id: UUID
        subsidy: str
        amount_fen: int

    @event(LineReleased)
    def release(self, claim_id: UUID, slip_id: UUID, subsidy: str, amount_fen: int) -> None:
        """A line rejected in review: its amount no longer counts as claimed, and it is held back (not claimed
        again) until its facts change or an official reinstates it."""
        key = (slip_id, subsidy)
        self.claimed[key] = self.claimed.get(key, 0) - amount_fen
        kept = self.history.get(key, [])
        rejected = next((c for c in kept if c.claim_id == claim_id), None)
        self.history[key] = [c for c in kept if c is not rejected]
        if rejected is not None:
            self.held[key] = rejected

    class LineReinstated(Aggregate.Event):
        claim_id: UUID
        slip_id: UUID
        subsidy: str
        reason: str
        actor: str

    def reinstate(self, claim_id: UUID, slip_id: UUID, subsidy: str, reason: str, actor: str) -> None:
        held = self.held.get((slip_id, subsidy))
        if held is None or held.claim_id != claim_id:
            raise Conflict("this line is not held back any more: it was claimed again after its facts changed, "
                           "or it is reinstated already")
        self._reinstated(claim_id=claim_id, slip_id=slip_id, subsidy=subsidy, reason=reason, actor=actor)

    @event(LineReinstated)
    def _reinstated(self, claim_id: UUID, slip_id: UUID, subsidy: str, reason: str, actor: str) -> None:
        self.held.pop((slip_id, subsidy), None)

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
