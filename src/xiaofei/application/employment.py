"""Employment use cases: organisations, workshops, hiring, wage-slip uploads, verification, bank statements."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from xiaofei.application.app import MAX_ATTEMPTS, XiaofeiApplication
from xiaofei.application.bank_matching import BankMatcher
from xiaofei.application.cells import account_cell, parse_day, parse_yuan
from xiaofei.application.pii import IdProtector
from xiaofei.application.policy import PolicyService
from xiaofei.application.slips import SlipRow
from xiaofei.application.tables import csv_rows, header_map
from xiaofei.domain import ids
from xiaofei.domain.bank import BankReconciliation
from xiaofei.domain.codes import check_county_code, check_village_code, normalise_credit_code, normalise_id_number
from xiaofei.domain.employment import (
    WORKSHOP_TYPES,
    BankStatement,
    Employment,
    Organisation,
    Payroll,
    Slip,
    StatementLine,
    Trainee,
    Training,
    UploadReceipt,
    Workshop,
)
from xiaofei.domain.bounds import day_problem, fen_problem, month_problem
from xiaofei.domain.errors import AlreadyExists, Conflict, FieldProblem, InvalidInput, NotFound, invalid

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class UploadResult:
    upload_id: UUID
    rows: int
    reported: int
    corrected: int
    unchanged: int
    replayed: bool
    position: int
    verified: int = 0
    """Slips proven at once by statement lines already on file."""


@dataclass(frozen=True)
class StatementResult:
    statement_id: UUID
    lines: int
    matched: int
    already_uploaded: bool
    position: int


class EmploymentService:
    def __init__(self, app: XiaofeiApplication, protector: IdProtector, policy: PolicyService) -> None:
        self.app = app
        self.protector = protector
        self.policy = policy
        self.bank = BankMatcher(app, policy)

    # -- helpers ---------------------------------------------------------------------------------

    def _get(self, aggregate_id: UUID, missing: str, kind: type[Aggregate], *, read_only: bool = False) -> Aggregate:
        """``read_only``: the caller will not change it, so the cached aggregate is handed out without a copy.
        An id of another kind of aggregate (a household's id given as a workshop's) is not found either."""
        try:
            found = self.app.repository.get(aggregate_id, deepcopy_from_cache=not read_only)
        except AggregateNotFoundError:
            raise NotFound(missing) from None
        if not isinstance(found, kind):
            raise NotFound(missing)
        return found

    def organisation(self, credit_code: str, *, read_only: bool = False) -> Organisation:
        return self._get(ids.organisation_id(credit_code), f"no organisation {credit_code}",  # type: ignore[return-value]
                         Organisation, read_only=read_only)

    def workshop(self, workshop_id: UUID, *, organisation: str | None = None, county: str | None = None) -> Workshop:
        missing = f"no workshop {workshop_id}"  # the same words whether it exists elsewhere or not at all
        ws: Workshop = self._get(workshop_id, missing, Workshop)  # type: ignore[assignment]
        if (organisation is not None and ws.organisation != organisation) or (county is not None and ws.county != county):
            raise NotFound(missing)
        return ws

    def _update(self, load: Callable[[], A], decide: Callable[[A], None]) -> int:
        return self.app.update(lambda: (load(),), decide)

    # -- organisations and workshops -------------------------------------------------------------

    def register_organisation(self, county: str, credit_code: str, name: str, form: str, address: str,
                              actor: str) -> int:
        check_county_code(county)
        code = normalise_credit_code(credit_code)
        # GB 32100: characters 3–8 are the registering authority's division code. An organisation registered in
        # this county, its city or its province belongs here; an official of another county cannot take its code.
        division = code[2:8]
        if division not in (county, county[:4] + "00", county[:2] + "0000"):
            raise invalid("credit_code", f"was issued in division {division}, not in county {county}, its city or "
                                         "its province: the county where it was issued registers it")
        Organisation.check_form(form)
        if not name.strip():
            raise invalid("name", "is required")
        org = Organisation(credit_code=code, name=name.strip(), form=form, county=county, address=address.strip(),
                           actor=actor)
        try:
            return self.app.record(org)
        except IntegrityError:
            raise AlreadyExists(f"organisation {code} is already registered") from None

    def register_workshop(self, organisation: str, name: str, workshop_type: str, village_code: str, premises: str,
                          actor: str) -> tuple[UUID, int]:
        if workshop_type not in WORKSHOP_TYPES:
            raise invalid("workshop_type", f"must be one of {', '.join(WORKSHOP_TYPES)}")
        if not name.strip():
            raise invalid("name", "is required")
        for _ in range(MAX_ATTEMPTS):
            org = self.organisation(organisation)
            check_village_code(village_code, org.county)
            ws = Workshop(organisation=organisation, county=org.county, name=name.strip(),
                          workshop_type=workshop_type, village_code=village_code, premises=premises.strip(),
                          actor=actor)
            org.add_workshop(ws.id)
            try:
                return ws.id, self.app.record(org, ws)
            except IntegrityError:
                continue
        raise Conflict("the organisation kept changing; try again")

    def certify(self, county: str, workshop_id: UUID, plaque: str, on: date, actor: str) -> int:
        return self._update(lambda: self.workshop(workshop_id, county=county),
                            lambda w: w.certify(plaque, on, actor))

    def refuse(self, county: str, workshop_id: UUID, reason: str, actor: str) -> int:
        return self._update(lambda: self.workshop(workshop_id, county=county),
                            lambda w: w.refuse_certification(reason, actor))

    def decertify(self, county: str, workshop_id: UUID, on: date, reason: str, actor: str) -> int:
        return self._update(lambda: self.workshop(workshop_id, county=county),
                            lambda w: w.decertify(on, reason, actor))

    def hire(self, organisation: str, workshop_id: UUID, name: str, id_number: str, contract_type: str, start: date,
             end: date | None, pay_form: str, actor: str) -> tuple[UUID, int]:
        problems = [p for p in (day_problem("start", start), end and day_problem("end", end)) if p]
        if problems:
            raise InvalidInput(problems)
        number = normalise_id_number(id_number)
        employment = Employment(employment_id=uuid4(), id_hash=self.protector.hash(number),
                                id_masked=self.protector.mask(number), name=name.strip(), contract_type=contract_type,
                                start=start, end=end, pay_form=pay_form)
        position = self._update(lambda: self.workshop(workshop_id, organisation=organisation),
                                lambda w: w.hire(employment, actor))
        return employment.employment_id, position

    def end_employment(self, organisation: str, workshop_id: UUID, employment_id: UUID, end: date, reason: str,
                       actor: str) -> int:
        return self._update(lambda: self.workshop(workshop_id, organisation=organisation),
                            lambda w: w.end_employment(employment_id, end, reason, actor))

    def report_cost(self, organisation: str, workshop_id: UUID, month: str, kind: str, amount_fen: int,
                    evidence: str, actor: str) -> int:
        problems = [p for p in (month_problem("month", month), fen_problem("amount_fen", amount_fen)) if p is not None]
        if problems:
            raise InvalidInput(problems)
        return self._update(lambda: self.workshop(workshop_id, organisation=organisation),
                            lambda w: w.report_cost(month, kind, amount_fen, evidence, actor))

    def record_training(self, organisation: str, workshop_id: UUID, held_on: date, course: str, hours: int,
                        trainees: list[tuple[str, str]], actor: str) -> tuple[UUID, int]:
        if (problem := day_problem("held_on", held_on)) is not None:
            raise InvalidInput(problem)
        ws = self.workshop(workshop_id, organisation=organisation)
        people = []
        for i, (name, id_number) in enumerate(trainees):
            number = normalise_id_number(id_number, f"trainees[{i}].id_number")
            people.append(Trainee(id_hash=self.protector.hash(number), id_masked=self.protector.mask(number),
                                  name=name.strip()))
        Training.check(course, hours, people)
        training = Training(workshop_id=ws.id, organisation=organisation, county=ws.county, held_on=held_on,
                            course=course.strip(), hours=hours, trainees=people, actor=actor)
        return training.id, self.app.record(training)

    # -- wage slips ------------------------------------------------------------------------------

    def upload_slips(self, organisation: str, idempotency_key: str, content: bytes, rows: list[SlipRow],
                     actor: str) -> UploadResult:
        """Accept a whole batch or nothing. Same key + same content again: the first answer, nothing written."""
        if not 8 <= len(idempotency_key) <= 200:
            raise invalid("Idempotency-Key", "send a unique key of 8 to 200 characters with every upload")
        digest = hashlib.sha256(content).hexdigest()
        receipt_id = ids.upload_receipt_id(organisation, idempotency_key)
        rec_id = BankReconciliation.create_id(organisation)
        for _ in range(MAX_ATTEMPTS):
            replay = self._replay(receipt_id, digest)
            if replay is not None:
                return replay
            org = self.organisation(organisation, read_only=True)
            workshops: dict[UUID, Workshop] = {}
            problems: list[FieldProblem] = []
            slips: dict[UUID, list[tuple[SlipRow, Slip]]] = defaultdict(list)
            for r in rows:
                if r.workshop_id not in workshops:
                    if r.workshop_id not in org.workshops:
                        problems.append(FieldProblem("workshop_id", "is not a workshop of this organisation", r.row))
                        continue
                    workshops[r.workshop_id] = self.app.repository.get(r.workshop_id, deepcopy_from_cache=False)
                ws = workshops[r.workshop_id]
                id_hash = self.protector.hash(r.id_number)
                employment = ws.employment_of(id_hash, r.month)
                if employment is None:
                    problems.append(FieldProblem("id_number", f"this worker has no employment record in the "
                                                              f"workshop during {r.month}", r.row))
                    continue
                slip = Slip(slip_id=ids.slip_id(ws.id, r.month, id_hash), employment_id=employment.employment_id,
                            id_hash=id_hash, gross_fen=r.gross_fen, net_fen=r.net_fen, days_worked=r.days_worked,
                            pieces=r.pieces, pay_date=r.pay_date, method=r.method, bank_ref=r.bank_ref,
                            payee_account=r.payee_account)
                slips[ids.payroll_id(ws.id, r.month)].append((r, slip))
            if problems:
                raise InvalidInput(problems)
            upload_id = UploadReceipt.create_id(organisation, idempotency_key)  # its rows link to it
            existing = self.app.existing_versions([*slips, rec_id])
            rec = self.bank.reconciliation(organisation) if rec_id in existing else None
            payrolls: list[Payroll] = []
            reported = corrected = unchanged = 0
            for pid, entries in slips.items():
                first_row = entries[0][0]
                ws = workshops[first_row.workshop_id]
                payroll = (self.app.repository.get(pid) if pid in existing else
                           Payroll(workshop_id=ws.id, organisation=organisation, county=ws.county,
                                   month=first_row.month))
                new: list[Slip] = []
                for r, slip in entries:
                    current = payroll.slips.get(slip.slip_id)
                    if current is None:
                        new.append(slip)
                    elif current.same_content(slip) and slip.slip_id not in payroll.voided:
                        unchanged += 1
                    else:
                        try:
                            payroll.correct(slip, r.correction_reason, upload_id, actor)
                        except InvalidInput as e:
                            problems.extend(FieldProblem(p.field, p.reason, r.row) for p in e.problems)
                        corrected += 1
                if new:
                    payroll.report(new, upload_id, actor)
                    reported += len(new)
                payrolls.append(payroll)
            if problems:
                raise InvalidInput(problems)
            # Statement lines already on file that are still open may prove these slips: same transaction.
            tried = {pid: {slip.slip_id for _, slip in entries} for pid, entries in slips.items()}
            verified = self.bank.prove(rec, payrolls, workshops, actor, only_slips=tried) if rec and rec.open else 0
            receipt = UploadReceipt(organisation=organisation, idempotency_key=idempotency_key, content_sha256=digest,
                                    rows=len(rows), reported=reported, corrected=corrected, unchanged=unchanged,
                                    actor=actor)
            try:
                position = self.app.record(*payrolls, rec, receipt)
            except IntegrityError:
                continue  # a concurrent upload touched the same payrolls, lines or key: decide again
            if self.bank.version_now(organisation) != (rec.version if rec else 0):
                # A statement landed while we decided (it could not see these slips yet): try its lines now.
                more, later = self.bank.prove_slips(organisation, tried, actor)
                verified, position = verified + more, later or position
            return UploadResult(receipt.id, len(rows), reported, corrected, unchanged, False, position, verified)
        raise Conflict("the payrolls kept changing while we tried to record the upload; try again")

    def _replay(self, receipt_id: UUID, digest: str) -> UploadResult | None:
        try:
            receipt: UploadReceipt = self.app.repository.get(receipt_id)
        except AggregateNotFoundError:
            return None
        if receipt.content_sha256 != digest:
            raise Conflict("this Idempotency-Key was used for a different upload; use a new key")
        return UploadResult(receipt.id, receipt.rows, receipt.reported, receipt.corrected, receipt.unchanged, True,
                            self.app.head_position())

    def _payroll_of(self, county: str, slip_workshop: UUID, month: str) -> Payroll:
        payroll: Payroll = self._get(ids.payroll_id(slip_workshop, month), "no such payroll", Payroll)  # type: ignore[assignment]
        if payroll.county != county:
            raise NotFound("no such payroll in this county")
        return payroll

    def void_slip(self, organisation: str, workshop_id: UUID, month: str, slip_id: UUID, reason: str,
                  actor: str) -> int:
        def load() -> Payroll:
            payroll: Payroll = self._get(ids.payroll_id(workshop_id, month), "no such payroll", Payroll)  # type: ignore[assignment]
            if payroll.organisation != organisation:
                raise NotFound("no such payroll")
            return payroll

        return self._update(load, lambda p: p.void(slip_id, reason, actor))

    def verify_slip(self, county: str, workshop_id: UUID, month: str, slip_id: UUID, reason: str, actor: str) -> int:
        if len(reason.strip()) < 4:
            raise invalid("reason", "say what evidence was checked")
        return self._update(lambda: self._payroll_of(county, workshop_id, month),
                            lambda p: p.verify(slip_id, f"official: {reason.strip()}", actor))

    def reject_slip(self, county: str, workshop_id: UUID, month: str, slip_id: UUID, reason: str, actor: str) -> int:
        return self._update(lambda: self._payroll_of(county, workshop_id, month),
                            lambda p: p.reject(slip_id, reason, actor))

    # -- bank statements -------------------------------------------------------------------------

    STATEMENT_COLUMNS: dict[str, tuple[str, ...]] = {
        "date": ("date", "交易日期"),
        "amount_yuan": ("amount_yuan", "amount", "金额"),
        "payee_name": ("payee_name", "收款人"),
        "payee_account": ("payee_account", "收款账号"),
        "reference": ("reference", "流水号", "摘要"),
    }
    STATEMENT_REQUIRED = ("date", "amount_yuan", "payee_name")

    def parse_statement(self, content: bytes) -> list[StatementLine]:
        lines: list[StatementLine] = []
        problems: list[FieldProblem] = []
        cols: dict[str, int] | None = None
        for number, cells in csv_rows(content):
            if cols is None:
                cols = header_map(cells, self.STATEMENT_COLUMNS, self.STATEMENT_REQUIRED)
                continue
            if not any(cells):
                continue
            cell = {c: (cells[i] if i < len(cells) else "") for c, i in cols.items()}
            # every bad cell of the row is one problem; a row with any is left out
            before = len(problems)
            paid_on = date.min
            try:
                paid_on = parse_day(cell["date"])
            except ValueError as e:
                problems.append(FieldProblem("date", str(e), number))
            else:
                if (problem := day_problem("date", paid_on, number)) is not None:
                    problems.append(problem)
            amount = 0
            try:
                amount = parse_yuan(cell["amount_yuan"])
            except ValueError as e:
                problems.append(FieldProblem("amount_yuan", str(e), number))
            else:
                if amount <= 0:
                    problems.append(FieldProblem("amount_yuan", "a wage payment is a positive amount", number))
                elif (problem := fen_problem("amount_yuan", amount, number)) is not None:
                    problems.append(problem)
            account = ""
            try:
                account = account_cell(cell.get("payee_account", ""))
            except ValueError as e:
                problems.append(FieldProblem("payee_account", str(e), number))
            if len(problems) > before:
                continue
            lines.append(StatementLine(line=number, paid_on=paid_on, amount_fen=amount,
                                       payee_name=cell.get("payee_name", ""),
                                       payee_account=account,
                                       reference=cell.get("reference", "")))
        if cols is None:
            problems.append(FieldProblem("file", "is empty"))
        elif not lines and not problems:
            problems.append(FieldProblem("file", "has no lines"))
        if problems:
            raise InvalidInput(problems)
        return lines

    def upload_statement(self, organisation: str, content: bytes, actor: str) -> StatementResult:
        """Record the statement with its lines open, then let them prove the unverified slips they match.

        The same file again records nothing and tries its still-open lines again."""
        lines = self.parse_statement(content)
        digest = hashlib.sha256(content).hexdigest()
        statement_id = ids.bank_statement_id(organisation, digest)
        org = self.organisation(organisation, read_only=True)
        for _ in range(MAX_ATTEMPTS):
            if self.app.existing_versions([statement_id]):
                already, position = True, self.app.head_position()
                break
            statement = BankStatement(organisation=organisation, county=org.county, file_sha256=digest, lines=lines,
                                      actor=actor)
            rec = self.bank.reconciliation(organisation) or BankReconciliation(organisation=organisation)
            fresh = rec.new_lines(lines)
            if fresh:
                rec.open_lines(statement.id, fresh)
            try:
                already, position = False, self.app.record(statement, rec)
            except IntegrityError:
                continue
            break
        else:
            raise Conflict("the bank reconciliation kept changing while we recorded the statement; try again")
        matched, after = self.bank.prove_statement(organisation, org.county, list(org.workshops), statement_id, lines,
                                                   actor)
        return StatementResult(statement_id, len(lines), matched, already, max(position, after))
