"""Employment (就业帮扶): organisations, workshops (扶贫车间) with their workers, monthly payrolls of wage slips,
bank statements, and upload receipts that make resubmissions no-ops."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.bounds import check_count
from xiaofei.domain.errors import AlreadyExists, Conflict, NotFound, invalid

ORGANISATION_FORMS: dict[str, str] = {
    "enterprise": "企业",
    "cooperative": "农民专业合作社",
    "family_farm": "家庭农场",
    "village_collective": "村集体经济组织",
}
WORKSHOP_TYPES: dict[str, str] = {
    "factory": "厂房式",
    "home_based": "居家式",
    "cooperative": "合作社式",
    "farming": "种养式",
    "trade": "贸易流通式",
    "tourism": "文化旅游式",
    "online": "互联网+",
}
CONTRACT_TYPES: dict[str, str] = {
    "labour_contract": "劳动合同",
    "employment_agreement": "就业协议",
    "service_agreement": "劳务协议",
    "contracting_agreement": "承揽合同",
}
PAY_FORMS: dict[str, str] = {"monthly": "月薪", "daily": "日薪", "piece_rate": "计件"}
PAYMENT_METHODS: dict[str, str] = {"bank": "银行代发", "cash": "现金"}
COST_KINDS: dict[str, str] = {"rent": "场租", "utilities": "水电"}


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a ``YYYY-MM`` month."""
    year, mon = int(month[:4]), int(month[5:7])
    following = date(year + (mon == 12), mon % 12 + 1, 1)
    return date(year, mon, 1), date.fromordinal(following.toordinal() - 1)


class Organisation(Aggregate):
    """A market entity (市场主体) by its unified social credit code."""

    @staticmethod
    def create_id(credit_code: str) -> UUID:
        return ids.organisation_id(credit_code)

    class Registered(Aggregate.Created):
        credit_code: str
        name: str
        form: str
        county: str
        address: str
        actor: str

    @event(Registered)
    def __init__(self, credit_code: str, name: str, form: str, county: str, address: str, actor: str) -> None:
        self.credit_code = credit_code
        self.name = name
        self.form = form
        self.county = county
        self.address = address
        self.workshops: list[UUID] = []

    @staticmethod
    def check_form(form: str) -> None:
        if form not in ORGANISATION_FORMS:
            raise invalid("form", f"must be one of {', '.join(ORGANISATION_FORMS)} (a household cannot be a seller)")

    class WorkshopAdded(Aggregate.Event):
        workshop_id: UUID

    @event(WorkshopAdded)
    def add_workshop(self, workshop_id: UUID) -> None:
        self.workshops.append(workshop_id)


class Employment(msgspec.Struct, frozen=True, kw_only=True):
    """A worker's employment record in a workshop. The worker is known by ID hash, never by plain ID."""

    employment_id: UUID
    id_hash: str
    id_masked: str
    name: str
    contract_type: str
    start: date
    end: date | None
    pay_form: str

    def active_in(self, first: date, last: date) -> bool:
        return self.start <= last and (self.end is None or self.end >= first)


class Workshop(Aggregate):
    """A workshop (扶贫车间) of one organisation, its certification (认定) and its workers."""

    class Registered(Aggregate.Created):
        organisation: str
        county: str
        name: str
        workshop_type: str
        village_code: str
        premises: str
        actor: str

    @event(Registered)
    def __init__(self, organisation: str, county: str, name: str, workshop_type: str, village_code: str,
                 premises: str, actor: str) -> None:
        self.organisation = organisation
        self.county = county
        self.name = name
        self.workshop_type = workshop_type
        self.village_code = village_code
        self.premises = premises
        self.certified_on: date | None = None
        self.plaque_number: str | None = None
        self.decertified_on: date | None = None
        self.last_refusal: str | None = None
        self.employments: dict[UUID, Employment] = {}
        self.costs: dict[tuple[str, str], int] = {}

    # -- certification ---------------------------------------------------------------------------

    class Certified(Aggregate.Event):
        plaque_number: str
        certified_on: date
        actor: str

    def certify(self, plaque_number: str, certified_on: date, actor: str) -> None:
        if self.certified_on is not None and self.decertified_on is None:
            raise Conflict(f"workshop is already certified (plaque {self.plaque_number})")
        if not plaque_number.strip():
            raise invalid("plaque_number", "is required")
        if self.decertified_on is not None and certified_on < self.decertified_on:
            # certification is a history of periods that never overlap: a new period starts after the last ended
            raise invalid("certified_on", f"must not be before the end of the previous certification period "
                                          f"({self.decertified_on.isoformat()})")
        self._certified(plaque_number=plaque_number.strip(), certified_on=certified_on, actor=actor)

    @event(Certified)
    def _certified(self, plaque_number: str, certified_on: date, actor: str) -> None:
        self.plaque_number = plaque_number
        self.certified_on = certified_on
        self.decertified_on = None

    class CertificationRefused(Aggregate.Event):
        reason: str
        actor: str

    def refuse_certification(self, reason: str, actor: str) -> None:
        if not reason.strip():
            raise invalid("reason", "is required")
        self._refused(reason=reason.strip(), actor=actor)

    @event(CertificationRefused)
    def _refused(self, reason: str, actor: str) -> None:
        self.last_refusal = reason

    class Decertified(Aggregate.Event):
        effective_date: date
        reason: str
        actor: str

    def decertify(self, effective_date: date, reason: str, actor: str) -> None:
        if self.certified_on is None or self.decertified_on is not None:
            raise Conflict("workshop is not certified")
        if not reason.strip():
            raise invalid("reason", "is required")
        if effective_date < self.certified_on:
            raise invalid("effective_date", "must not be before the certification date")
        self._decertified(effective_date=effective_date, reason=reason.strip(), actor=actor)

    @event(Decertified)
    def _decertified(self, effective_date: date, reason: str, actor: str) -> None:
        self.decertified_on = effective_date

    # -- workers ---------------------------------------------------------------------------------

    class WorkerHired(Aggregate.Event):
        employment: Employment
        actor: str

    def hire(self, employment: Employment, actor: str) -> None:
        if employment.contract_type not in CONTRACT_TYPES:
            raise invalid("contract_type", f"must be one of {', '.join(CONTRACT_TYPES)}")
        if employment.pay_form not in PAY_FORMS:
            raise invalid("pay_form", f"must be one of {', '.join(PAY_FORMS)}")
        if employment.end is not None and employment.end < employment.start:
            raise invalid("end", "must not be before start")
        for other in self.employments.values():
            if other.id_hash == employment.id_hash and other.active_in(employment.start, employment.end or date.max):
                raise AlreadyExists("this worker already has an employment record here for that period")
        self._hired(employment=employment, actor=actor)

    @event(WorkerHired)
    def _hired(self, employment: Employment, actor: str) -> None:
        self.employments[employment.employment_id] = employment

    class EmploymentEnded(Aggregate.Event):
        employment_id: UUID
        end: date
        reason: str
        actor: str

    def end_employment(self, employment_id: UUID, end: date, reason: str, actor: str) -> None:
        current = self.employments.get(employment_id)
        if current is None:
            raise NotFound(f"no employment {employment_id} in this workshop")
        if end < current.start:
            raise invalid("end", "must not be before the start of employment")
        self._ended(employment_id=employment_id, end=end, reason=reason, actor=actor)

    @event(EmploymentEnded)
    def _ended(self, employment_id: UUID, end: date, reason: str, actor: str) -> None:
        self.employments[employment_id] = msgspec.structs.replace(self.employments[employment_id], end=end)

    # -- premises costs (场租水电), for the rent & utilities subsidy ---------------------------------

    class CostReported(Aggregate.Event):
        month: str
        kind: str
        amount_fen: int
        evidence: str
        actor: str

    def report_cost(self, month: str, kind: str, amount_fen: int, evidence: str, actor: str) -> None:
        if kind not in COST_KINDS:
            raise invalid("kind", f"must be one of {', '.join(COST_KINDS)}")
        if amount_fen <= 0:
            raise invalid("amount_fen", "must be positive")
        if not evidence.strip():
            raise invalid("evidence", "name the invoice or receipt that proves the cost")
        self._cost_reported(month=month, kind=kind, amount_fen=amount_fen, evidence=evidence.strip(), actor=actor)

    @event(CostReported)
    def _cost_reported(self, month: str, kind: str, amount_fen: int, evidence: str, actor: str) -> None:
        self.costs[(month, kind)] = amount_fen

    def employment_of(self, id_hash: str, month: str) -> Employment | None:
        first, last = month_bounds(month)
        for e in self.employments.values():
            if e.id_hash == id_hash and e.active_in(first, last):
                return e
        return None


class Slip(msgspec.Struct, frozen=True, kw_only=True):
    """One worker's wage slip for one month, as reported (one version)."""

    slip_id: UUID
    employment_id: UUID
    id_hash: str
    gross_fen: int
    net_fen: int
    days_worked: int
    pieces: int | None
    pay_date: date
    method: str
    bank_ref: str
    payee_account: str

    def same_content(self, other: Slip) -> bool:
        return msgspec.structs.asdict(self) == msgspec.structs.asdict(other)


class Payroll(Aggregate):
    """All wage slips of one workshop for one month (``YYYY-MM``): one slip per worker, never overwritten."""

    @staticmethod
    def create_id(workshop_id: UUID, month: str) -> UUID:
        return ids.payroll_id(workshop_id, month)

    class Opened(Aggregate.Created):
        workshop_id: UUID
        organisation: str
        county: str
        month: str

    @event(Opened)
    def __init__(self, workshop_id: UUID, organisation: str, county: str, month: str) -> None:
        self.workshop_id = workshop_id
        self.organisation = organisation
        self.county = county
        self.month = month
        self.slips: dict[UUID, Slip] = {}
        self.versions: dict[UUID, int] = {}
        self.voided: set[UUID] = set()
        self.verified: dict[UUID, int] = {}  # slip id -> the version that was verified

    class SlipsReported(Aggregate.Event):
        slips: list[Slip]
        upload_id: UUID
        actor: str

    @event(SlipsReported)
    def report(self, slips: list[Slip], upload_id: UUID, actor: str) -> None:
        for slip in slips:
            self.slips[slip.slip_id] = slip
            self.versions[slip.slip_id] = 1

    class SlipCorrected(Aggregate.Event):
        slip: Slip
        version: int
        reason: str
        upload_id: UUID
        actor: str

    def correct(self, slip: Slip, reason: str, upload_id: UUID, actor: str) -> None:
        if slip.slip_id not in self.slips:
            raise NotFound("no such slip to correct")
        if not reason.strip():
            raise invalid("correction_reason", "a slip for this worker and month exists: say why it is corrected")
        self._corrected(slip=slip, version=self.versions[slip.slip_id] + 1, reason=reason.strip(),
                        upload_id=upload_id, actor=actor)

    @event(SlipCorrected)
    def _corrected(self, slip: Slip, version: int, reason: str, upload_id: UUID, actor: str) -> None:
        self.slips[slip.slip_id] = slip
        self.versions[slip.slip_id] = version
        self.voided.discard(slip.slip_id)
        self.verified.pop(slip.slip_id, None)  # a new version needs its own proof of payment

    class SlipVoided(Aggregate.Event):
        slip_id: UUID
        reason: str
        actor: str

    def void(self, slip_id: UUID, reason: str, actor: str) -> None:
        if slip_id not in self.slips or slip_id in self.voided:
            raise NotFound("no such current slip")
        if not reason.strip():
            raise invalid("reason", "is required")
        self._voided(slip_id=slip_id, reason=reason.strip(), actor=actor)

    @event(SlipVoided)
    def _voided(self, slip_id: UUID, reason: str, actor: str) -> None:
        self.voided.add(slip_id)
        self.verified.pop(slip_id, None)

    class SlipVerified(Aggregate.Event):
        slip_id: UUID
        slip_version: int
        evidence: str
        statement_id: UUID | None
        statement_line: int | None
        actor: str

    def verify(self, slip_id: UUID, evidence: str, actor: str, statement_id: UUID | None = None,
               statement_line: int | None = None) -> None:
        if slip_id not in self.slips or slip_id in self.voided:
            raise NotFound("no such current slip")
        if self.verified.get(slip_id) == self.versions[slip_id]:
            raise Conflict("this version of the slip is already verified")
        self._verified(slip_id=slip_id, slip_version=self.versions[slip_id], evidence=evidence,
                       statement_id=statement_id, statement_line=statement_line, actor=actor)

    @event(SlipVerified)
    def _verified(self, slip_id: UUID, slip_version: int, evidence: str, statement_id: UUID | None,
                  statement_line: int | None, actor: str) -> None:
        self.verified[slip_id] = slip_version

    class SlipRejected(Aggregate.Event):
        slip_id: UUID
        slip_version: int
        reason: str
        actor: str

    def reject(self, slip_id: UUID, reason: str, actor: str) -> None:
        if slip_id not in self.slips or slip_id in self.voided:
            raise NotFound("no such current slip")
        if not reason.strip():
            raise invalid("reason", "is required")
        self._rejected(slip_id=slip_id, slip_version=self.versions[slip_id], reason=reason.strip(), actor=actor)

    @event(SlipRejected)
    def _rejected(self, slip_id: UUID, slip_version: int, reason: str, actor: str) -> None:
        self.verified.pop(slip_id, None)

    def unverified(self) -> list[Slip]:
        return [s for sid, s in self.slips.items()
                if sid not in self.voided and self.verified.get(sid) != self.versions[sid]]


class UploadReceipt(Aggregate):
    """What an ``Idempotency-Key`` did: the same key with the same content returns this, changing nothing."""

    @staticmethod
    def create_id(organisation: str, idempotency_key: str) -> UUID:
        return ids.upload_receipt_id(organisation, idempotency_key)

    class Recorded(Aggregate.Created):
        organisation: str
        idempotency_key: str
        content_sha256: str
        rows: int
        reported: int
        corrected: int
        unchanged: int
        actor: str

    @event(Recorded)
    def __init__(self, organisation: str, idempotency_key: str, content_sha256: str, rows: int, reported: int,
                 corrected: int, unchanged: int, actor: str) -> None:
        self.organisation = organisation
        self.content_sha256 = content_sha256
        self.rows = rows
        self.reported = reported
        self.corrected = corrected
        self.unchanged = unchanged


class StatementLine(msgspec.Struct, frozen=True, kw_only=True):
    line: int
    paid_on: date
    amount_fen: int
    payee_name: str
    payee_account: str
    reference: str


class BankStatement(Aggregate):
    """A bank statement (银行对账单) an employer uploaded as proof that wages were paid."""

    @staticmethod
    def create_id(organisation: str, file_sha256: str) -> UUID:
        return ids.bank_statement_id(organisation, file_sha256)

    class Uploaded(Aggregate.Created):
        organisation: str
        county: str
        file_sha256: str
        lines: list[StatementLine]
        actor: str

    @event(Uploaded)
    def __init__(self, organisation: str, county: str, file_sha256: str, lines: list[StatementLine],
                 actor: str) -> None:
        self.organisation = organisation
        self.county = county
        self.lines = list(lines)


class Trainee(msgspec.Struct, frozen=True, kw_only=True):
    id_hash: str
    id_masked: str
    name: str


class Training(Aggregate):
    """A training (培训) an employer ran for its workers, with its trainees."""

    class Recorded(Aggregate.Created):
        workshop_id: UUID
        organisation: str
        county: str
        held_on: date
        course: str
        hours: int
        trainees: list[Trainee]
        actor: str

    @event(Recorded)
    def __init__(self, workshop_id: UUID, organisation: str, county: str, held_on: date, course: str, hours: int,
                 trainees: list[Trainee], actor: str) -> None:
        self.workshop_id = workshop_id
        self.organisation = organisation
        self.county = county
        self.held_on = held_on
        self.trainees = list(trainees)

    @staticmethod
    def check(course: str, hours: int, trainees: list[Trainee]) -> None:
        if not course.strip():
            raise invalid("course", "is required")
        check_count("hours", hours, minimum=1, maximum=2000)
        if not trainees:
            raise invalid("trainees", "a training has at least one trainee")
        if len({t.id_hash for t in trainees}) != len(trainees):
            raise invalid("trainees", "the same person appears twice")
