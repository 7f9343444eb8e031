"""Given-these-events helpers for the income projection: verified wage slips and worker subsidies paid, recorded
straight through the domain aggregates (the commands that make them have tests of their own)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

from xiaofei.bootstrap import Services
from xiaofei.domain import ids
from xiaofei.domain.claims import Claim, ClaimLine
from xiaofei.domain.consumption.linkage import LinkageLedger, LinkagePayment
from xiaofei.domain.employment import Payroll, Slip


def given_verified_slips(services: Services, organisation: str, county: str, workshop_id: UUID, month: str,
                         slips: list[tuple[str, int]]) -> list[UUID]:
    """A payroll of ``(id_hash, net_fen)`` slips (gross = net), each verified by a bank match."""
    payroll = Payroll(workshop_id=workshop_id, organisation=organisation, county=county, month=month)
    made = [Slip(slip_id=ids.slip_id(workshop_id, month, h), employment_id=uuid4(), id_hash=h, gross_fen=fen,
                 net_fen=fen, days_worked=22, pieces=None, pay_date=date.fromisoformat(f"{month}-28"),
                 method="bank", bank_ref=f"B-{month}-{h[:6]}", payee_account="") for h, fen in slips]
    payroll.report(slips=made, upload_id=uuid4(), actor="test")
    for s in made:
        payroll.verify(s.slip_id, "bank statement line", "test")
    services.app.record(payroll)
    return [s.slip_id for s in made]


def given_paid_subsidy(services: Services, organisation: str, county: str, workshop_id: UUID, slip_id: UUID,
                       id_hash: str, month: str, amount_fen: int, paid_on: date, reference: str,
                       rejected_fen: int | None = None) -> UUID:
    """A one-line claim of a worker wage subsidy, through notice and approval, paid on ``paid_on``; with
    ``rejected_fen`` a second line (another slip) that the review rejects, so only the first is paid."""
    start = paid_on - timedelta(days=20)
    line = ClaimLine(line_no=1, slip_id=slip_id, subsidy="worker_wage", payee=f"worker:{id_hash}",
                     workshop_id=workshop_id, month=month, slip_version=1, entitled_fen=amount_fen,
                     previously_claimed_fen=0, amount_fen=amount_fen, kind="entitlement", adjusts_claim=None,
                     explanation={"rule": "worker_wage_rate × gross", "rate": "0.20", "gross_fen": amount_fen * 5})
    lines = [line]
    if rejected_fen is not None:
        lines.append(ClaimLine(line_no=2, slip_id=uuid4(), subsidy="worker_wage", payee=f"worker:{id_hash}",
                               workshop_id=workshop_id, month=month, slip_version=1, entitled_fen=rejected_fen,
                               previously_claimed_fen=0, amount_fen=rejected_fen, kind="entitlement",
                               adjusts_claim=None, explanation={"rule": "worker_wage_rate × gross"}))
    claim = Claim(organisation=organisation, county=county, period_from=month, period_to=month, lines=lines,
                  actor="test", filed_on=start, initiated_by="employer")
    today = date.today()
    claim.start_review(start, "test")
    if rejected_fen is not None:
        claim.reject_line(2, "工资流水不符", "test")
    claim.finish_review(start, "test")
    claim.publish_notice(start, today, 7, "test")
    claim.approve(start + timedelta(days=8), today, "test")
    claim.pay(paid_on, today, {f"worker:{id_hash}": reference}, "test")
    services.app.record(claim)
    return claim.id


def given_linkage_payments(services: Services, seller: str, county: str, payments: list[LinkagePayment]) -> None:
    """Payments on a new ledger, each payout as if its whole amount was owed when it was recorded."""
    ledger = LinkageLedger(seller=seller, county=county)
    for p in payments:
        ledger.record_payment(p, "test", accrued_fen=owed_in_full(ledger, p))
    services.app.record(ledger)


def owed_in_full(ledger: LinkageLedger, p: LinkagePayment) -> int | None:
    """The accrued share under which payout ``p`` settles exactly what is owed (None for other kinds)."""
    if p.product_id is None:
        return None
    return ledger.paid_out(p.product_id, p.payee) + p.amount_fen


def given_corrected_slip(services: Services, workshop_id: UUID, month: str, id_hash: str, net_fen: int) -> None:
    """The slip of ``id_hash`` in the workshop's ``month`` corrected to ``net_fen`` (gross = net) and verified
    again, in one recording."""
    payroll = services.app.repository.get(Payroll.create_id(workshop_id, month))
    old = payroll.slips[ids.slip_id(workshop_id, month, id_hash)]
    new = Slip(slip_id=old.slip_id, employment_id=old.employment_id, id_hash=id_hash, gross_fen=net_fen,
               net_fen=net_fen, days_worked=old.days_worked, pieces=None, pay_date=old.pay_date, method="bank",
               bank_ref=f"{old.bank_ref}-R", payee_account="")
    payroll.correct(new, "工资表录入错误更正", uuid4(), "test")
    payroll.verify(new.slip_id, "bank statement line", "test")
    services.app.record(payroll)
