"""The event catalogue: one JSON Schema and one example per event type and version, kept in ``events/``.

``xiaofei events export`` writes it; ``tests/unit/test_event_catalogue.py`` fails when code and files differ,
so a change to an event's contract shows up as a visible diff.
"""

from __future__ import annotations

import inspect
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from xiaofei import catalogue_consumption
from xiaofei.domain import access, bank, claims, employment, imports, policy, registry
from xiaofei.domain.registry import Member
from xiaofei.persistence import event_json_schema

AGGREGATES: tuple[type[Aggregate], ...] = (
    registry.County,
    registry.Household,
    imports.HouseholdImport,
    access.ApiToken,
    access.FirstAdminIssued,
    policy.PolicyBook,
    employment.Organisation,
    employment.Workshop,
    employment.Payroll,
    employment.UploadReceipt,
    employment.BankStatement,
    bank.BankReconciliation,
    employment.Training,
    claims.Claim,
    claims.ClaimLedger,
    *catalogue_consumption.AGGREGATES,
)
_FIXED_TIME = datetime(2026, 1, 15, 2, 30, tzinfo=UTC)


def event_classes() -> list[type[Any]]:
    """Every event class the aggregates declare (their own nested classes, not the library's bases)."""
    out: list[type[Any]] = []
    for aggregate in AGGREGATES:
        for name, value in vars(aggregate).items():
            if inspect.isclass(value) and issubclass(value, Aggregate.Event) and name not in ("Event", "Created"):
                out.append(value)
    return out


def file_stem(event_class: type[Any]) -> str:
    return f"{event_class.__qualname__}.v{getattr(event_class, 'class_version', 1)}"


def _examples() -> dict[type[Any], Any]:
    member = Member(person_number="3607240000000101", name="王芳", id_hash="9" * 64,
                    id_masked="3607**********8277", id_sealed="c2VhbGVkLWV4YW1wbGU=", sex="F",
                    birth_date=date(1971, 9, 13), relation="head", labour_capacity="normal")
    child = msgspec.structs.replace(member, person_number="3607240000000102", name="王强", relation="child", id_hash="8" * 64,
                                    sex="M", birth_date=date(1998, 3, 2))
    county = registry.County(code="360724", name="上犹县", province="江西省", actor="token:admin")
    county.name_areas({"360724100": "东山镇", "360724100001": "东上营村"}, "token:official")
    household = registry.Household(county="360724", household_number="36072400000001", village_code="360724100001",
                                    category="exited", subtype=None, causes=["illness"], members=[member],
                                    effective_date=date(2014, 9, 27), source="import", actor="token:official")
    household.add_member(child, date(2020, 5, 1), "returned home", "token:official")
    household.remove_member("3607240000000102", date(2024, 3, 1), "moved to Ganzhou for work", "token:official")
    household.change_category("monitored", "sudden_hardship", date(2025, 6, 1), "identified",
                              "hospitalisation costs", "token:official")
    household.declare_other_income(2025, "migrant_wages", 1_850_000, "verified at home visit", "token:official")
    household.record_id_reveal("3607240000000101", "bank account opening for wage subsidy", "token:official")
    batch = imports.HouseholdImport(county="360724", file_sha256="a" * 64, filename="上犹县-2025.csv", rows=3,
                                    registered=1, unchanged=0, actor="token:official")
    token = access.ApiToken(token_hash="b" * 64, role="county_official", counties=["360724"], organisation_id=None,
                            label="上犹县乡村振兴局", actor="token:admin")
    token.revoke("staff left the office", "token:admin")
    marker = access.FirstAdminIssued(token_id=str(UUID(int=1)))
    book = policy.PolicyBook(scope="360724")
    book.adopt_preset("shangyou-2017", date(2017, 1, 1), "token:official")
    book.record_parameter("subsidy.worker_wage_rate", "0.20", date(2017, 1, 1), None,
                          "preset shangyou-2017: 赣州市“就业扶贫车间”经验材料（上犹县）", "campaign", "token:official")
    org = employment.Organisation(credit_code="91360724MA35XXXX0L", name="上犹县某服饰有限公司", form="enterprise",
                                  county="360724", address="上犹县东山镇", actor="token:official")
    workshop = employment.Workshop(organisation=org.credit_code, county="360724", name="东山扶贫车间",
                                   workshop_type="factory", village_code="360724100001", premises="村委旧址一楼",
                                   actor="token:employer")
    org.add_workshop(UUID(int=5))  # workshop ids are random; examples use a fixed one
    hire = employment.Employment(employment_id=UUID(int=7), id_hash="9" * 64, id_masked="3607**********8277",
                                 name="王芳", contract_type="labour_contract", start=date(2024, 1, 1), end=None,
                                 pay_form="monthly")
    workshop.hire(hire, "token:employer")
    workshop.certify("赣州就业扶贫车间-0427", date(2024, 2, 1), "token:official")
    workshop.report_cost("2024-03", "rent", 80000, "租赁发票 No.00123456", "token:employer")
    workshop.refuse_certification("fewer than 10 eligible workers", "token:official")
    workshop.end_employment(hire.employment_id, date(2024, 12, 31), "contract ended", "token:employer")
    workshop.decertify(date(2025, 1, 1), "closed for the winter", "token:official")
    slip = employment.Slip(slip_id=UUID(int=9), employment_id=hire.employment_id, id_hash="9" * 64,
                           gross_fen=60000, net_fen=60000, days_worked=22, pieces=None, pay_date=date(2024, 4, 10),
                           method="bank", bank_ref="B20240410-001", payee_account="6217****1234")
    payroll = employment.Payroll(workshop_id=UUID(int=5), organisation=org.credit_code, county="360724",
                                 month="2024-03")
    payroll.report([slip], UUID(int=11), "token:employer")
    payroll.verify(slip.slip_id, "bank statement line 2, matched by reference", "token:employer",
                   statement_id=UUID(int=12), statement_line=2)
    payroll.correct(msgspec.structs.replace(slip, gross_fen=50000, net_fen=50000), "overtime double-counted",
                    UUID(int=13), "token:employer")
    payroll.reject(slip.slip_id, "statement shows another payee", "token:official")
    payroll.void(slip.slip_id, "worker was on leave all month", "token:employer")
    receipt = employment.UploadReceipt(organisation=org.credit_code, idempotency_key="2024-03-payroll-1",
                                       content_sha256="c" * 64, rows=1, reported=1, corrected=0, unchanged=0,
                                       actor="token:employer")
    statement = employment.BankStatement(organisation=org.credit_code, county="360724", file_sha256="d" * 64,
                                         lines=[employment.StatementLine(line=2, paid_on=date(2024, 4, 10),
                                                                         amount_fen=60000, payee_name="王芳",
                                                                         payee_account="6217****1234",
                                                                         reference="B20240410-001")],
                                         actor="token:employer")
    reconciliation = bank.BankReconciliation(organisation=org.credit_code)
    reconciliation.open_lines(UUID(int=12), statement.lines)
    reconciliation.use([bank.LineUse(statement_id=UUID(int=12), line=2, payroll_id=UUID(int=14), slip_id=slip.slip_id,
                                     slip_version=1, how="reference")], "token:employer")
    line = claims.ClaimLine(line_no=1, slip_id=slip.slip_id, subsidy="worker_wage", payee="worker:" + "9" * 64,
                            workshop_id=UUID(int=5), month="2024-03", slip_version=1, entitled_fen=12000,
                            previously_claimed_fen=0, amount_fen=12000, kind="entitlement", adjusts_claim=None,
                            explanation={"rule": "worker wage subsidy = rate × gross pay of the verified slip",
                                         "arithmetic": ["0.20 × 600.00元 = 120.00元 (half-up to the fen)"]})
    claim = claims.Claim(organisation=org.credit_code, county="360724", period_from="2024-03", period_to="2024-03",
                         lines=[line, msgspec.structs.replace(line, line_no=2)], actor="token:employer",
                         filed_on=date(2024, 4, 12), initiated_by="employer")
    claim.start_review(date(2024, 4, 13), "token:official")
    claim.reject_line(2, "duplicate of line 1", "token:official")
    claim.reinstate_line(2, "the duplicate was a data-entry error: the slip is genuine", "token:official")
    claim.finish_review(date(2024, 4, 14), "token:official")
    claim.publish_notice(date(2024, 4, 15), date(2024, 4, 15), 7, "token:official")
    claim.lodge_objection("工人王芳三月并未在车间上班", date(2024, 4, 17), date(2024, 4, 17), "token:official")
    claim.resolve_objection(1, "核查考勤与银行流水，工人在岗，异议不成立", date(2024, 4, 20), "token:official")
    claim.approve(date(2024, 4, 23), date(2024, 4, 23), "token:official")  # the notice ran through 04-22
    claim.pay(date(2024, 4, 25), date(2024, 4, 25), {"worker:" + "9" * 64: "GK20240425-0001"}, "token:official")
    ledger = claims.ClaimLedger(organisation=org.credit_code)
    ledger.record_claim(UUID(int=21), [line])
    ledger.release(UUID(int=21), line.slip_id, line.subsidy, 12000)
    ledger.reinstate(UUID(int=21), line.slip_id, line.subsidy, "the duplicate was a data-entry error",
                     "token:official")
    ledger.open_recovery(UUID(int=22), "employer", 2000)
    ledger.settle_recovery("employer", 2000, "退回 2024-06-01 #88", "token:official")
    training = employment.Training(workshop_id=UUID(int=5), organisation=org.credit_code, county="360724",
                                   held_on=date(2024, 3, 5), course="缝纫机操作", hours=16,
                                   trainees=[employment.Trainee(id_hash="9" * 64, id_masked="3607**********8277",
                                                                name="王芳")], actor="token:employer")
    examples: dict[type[Any], Any] = {}
    for aggregate in (training, county, household, batch, token, marker, book, org, workshop, payroll, receipt, statement,
                      reconciliation, claim, ledger, *catalogue_consumption.aggregates()):
        for e in aggregate.collect_events():
            object.__setattr__(e, "timestamp", _FIXED_TIME)
            object.__setattr__(e, "originator_id", UUID(int=aggregate.version))
            examples.setdefault(type(e), e)
    return examples


def render() -> dict[str, str]:
    """File name → content of the whole catalogue."""
    examples = _examples()
    files: dict[str, str] = {}
    for cls in event_classes():
        stem = file_stem(cls)
        schema = event_json_schema(cls)
        schema["title"] = cls.__qualname__
        schema["x-topic"] = f"{cls.__module__}:{cls.__qualname__}"
        files[f"{stem}.schema.json"] = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        if cls not in examples:
            raise LookupError(f"no example for {cls.__qualname__}: add one to catalogue._examples")
        state = {k: v for k, v in vars(examples[cls]).items() if k not in ("originator_id", "originator_version")}
        example = json.loads(msgspec.json.encode(state))
        files[f"{stem}.example.json"] = json.dumps(example, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return files


def export(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    files = render()
    for stale in folder.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return sorted(files)
