"""What a claim contains (``claim_lines``): the pure decision from the entitlements now and the ledger."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from xiaofei.domain.claims import ClaimLedger, ClaimLine
from xiaofei.rules.claims import VANISHED_RULE, Entitled, claim_lines

WORKSHOP = UUID(int=5)
SLIP = UUID(int=9)
AWARD = UUID(int=77)  # a hiring award's stable id (person + county + era)
FIRST, SECOND = UUID(int=101), UUID(int=102)


def row(subject: UUID = SLIP, subsidy: str = "worker_wage", amount: int = 12000, month: str = "2024-03",
        version: int = 1, verification: str | None = "bank statement line 2") -> Entitled:
    return Entitled(slip_id=subject, subsidy=subsidy, payee="employer" if subsidy != "worker_wage" else "worker:h",
                    workshop_id=WORKSHOP, month=month, slip_version=version, amount_fen=amount,
                    explanation={"rule": subsidy}, verification=verification)


def claimed(ledger: ClaimLedger, claim_id: UUID, rows: list[Entitled], period: tuple[str, str] | None
            ) -> list[ClaimLine]:
    lines = claim_lines(rows, ledger, period)
    ledger.record_claim(claim_id, lines)
    return lines


def test_a_first_claim_takes_the_whole_entitlement_of_its_period_only() -> None:
    ledger = ClaimLedger(organisation="ORG")
    lines = claim_lines([row(month="2024-02"), row(subject=UUID(int=10)), row(subsidy="employer_match")],
                        ledger, ("2024-03", "2024-03"))
    assert [(ln.line_no, ln.slip_id, ln.subsidy, ln.kind, ln.amount_fen) for ln in lines] == [
        (1, SLIP, "employer_match", "entitlement", 12000), (2, UUID(int=10), "worker_wage", "entitlement", 12000)]
    assert claim_lines([row()], ledger, None) == []  # an adjustment claim takes no new entitlement


def test_an_entitlement_that_no_longer_exists_is_clawed_back_from_the_last_claimed_line() -> None:
    ledger = ClaimLedger(organisation="ORG")
    claimed(ledger, FIRST, [row(subject=AWARD, subsidy="hiring_award", amount=100000, month="2024-07")],
            ("2024-07", "2024-07"))
    # when a void removes the award, the entitlements have no row for it any more
    for period in (("2024-09", "2024-09"), None):
        [line] = claim_lines([], ledger, period)
        assert (line.slip_id, line.subsidy, line.payee, line.workshop_id, line.month, line.slip_version) == (
            AWARD, "hiring_award", "employer", WORKSHOP, "2024-07", 1)
        assert (line.entitled_fen, line.previously_claimed_fen, line.amount_fen, line.kind) == (
            0, 100000, -100000, "clawback")
        assert line.adjusts_claim == FIRST
        assert line.explanation["rule"] == VANISHED_RULE and "no longer exists" in line.explanation["rule"]
        assert line.explanation["last_claimed"]["claim_id"] == str(FIRST)
    ledger.record_claim(SECOND, claim_lines([], ledger, None))
    assert claim_lines([], ledger, None) == []  # clawed back once


def test_a_moved_award_keeps_its_key_and_is_neither_claimed_twice_nor_lost() -> None:
    ledger = ClaimLedger(organisation="ORG")
    claimed(ledger, FIRST, [row(subject=AWARD, subsidy="hiring_award", amount=100000, month="2024-07")],
            ("2024-07", "2024-07"))
    moved = row(subject=AWARD, subsidy="hiring_award", amount=100000, month="2024-06")
    assert claim_lines([moved], ledger, ("2024-06", "2024-06")) == []
    assert claim_lines([moved], ledger, None) == []


def test_later_changes_are_arrears_or_clawbacks_linked_to_the_claim_they_adjust() -> None:
    ledger = ClaimLedger(organisation="ORG")
    claimed(ledger, FIRST, [row()], ("2024-03", "2024-03"))
    [line] = claim_lines([row(amount=10000, version=2)], ledger, ("2024-08", "2024-08"))
    assert (line.kind, line.amount_fen, line.previously_claimed_fen, line.adjusts_claim, line.slip_version) == (
        "clawback", -2000, 12000, FIRST, 2)
    [line] = claim_lines([row(amount=15000, version=2)], ledger, None)
    assert (line.kind, line.amount_fen) == ("arrears", 3000)


def test_a_rejected_line_stays_out_while_its_facts_are_unchanged() -> None:
    ledger = ClaimLedger(organisation="ORG")
    [line] = claimed(ledger, FIRST, [row()], ("2024-03", "2024-03"))
    ledger.release(FIRST, line.slip_id, line.subsidy, line.amount_fen)
    for period in (("2024-03", "2024-03"), ("2024-04", "2024-04"), None):
        assert claim_lines([row()], ledger, period) == []


def test_a_rejected_line_comes_back_with_a_new_slip_version_a_new_verification_or_a_new_amount() -> None:
    for changed in (row(version=2), row(verification="checked on site by the township"), row(amount=11000)):
        ledger = ClaimLedger(organisation="ORG")
        [line] = claimed(ledger, FIRST, [row()], ("2024-03", "2024-03"))
        ledger.release(FIRST, line.slip_id, line.subsidy, line.amount_fen)
        [back] = claim_lines([changed], ledger, ("2024-05", "2024-05"))
        assert (back.kind, back.previously_claimed_fen, back.amount_fen, back.adjusts_claim) == (
            "entitlement", 0, changed.amount_fen, None)
        assert back.explanation["previously_rejected"] == {
            "claim_id": str(FIRST), "line_no": 1,
            "facts_then": {"slip_version": 1, "entitled_fen": 12000, "verification": "bank statement line 2"}}
        ledger.record_claim(SECOND, [back])
        assert claim_lines([changed], ledger, None) == []  # claimed again, it counts once


def test_a_reinstated_line_comes_back_unchanged() -> None:
    ledger = ClaimLedger(organisation="ORG")
    [line] = claimed(ledger, FIRST, [row()], ("2024-03", "2024-03"))
    ledger.release(FIRST, line.slip_id, line.subsidy, line.amount_fen)
    ledger.reinstate(FIRST, line.slip_id, line.subsidy, "worker's presence confirmed", "token:official")
    [back] = claim_lines([row()], ledger, None)
    assert (back.kind, back.amount_fen) == ("entitlement", 12000)


def test_a_rejected_adjustment_leaves_the_earlier_claim_as_the_one_adjusted() -> None:
    ledger = ClaimLedger(organisation="ORG")
    claimed(ledger, FIRST, [row()], ("2024-03", "2024-03"))
    [arrears] = claimed(ledger, SECOND, [row(amount=15000, version=2)], None)
    ledger.release(SECOND, arrears.slip_id, arrears.subsidy, arrears.amount_fen)
    assert claim_lines([row(amount=15000, version=2)], ledger, None) == []
    # a rejected line whose entitlement then vanishes: what still counts (the first claim) is clawed back
    [line] = claim_lines([], ledger, None)
    assert (line.amount_fen, line.adjusts_claim) == (-12000, FIRST)


def test_lines_are_ordered_by_month_subject_and_subsidy() -> None:
    ledger = ClaimLedger(organisation="ORG")
    claimed(ledger, FIRST, [row(subject=UUID(int=3), month="2024-01")], ("2024-01", "2024-01"))
    rows = [row(subject=UUID(int=2), month="2024-02"), row(subject=UUID(int=1), month="2024-02"),
            replace(row(subject=UUID(int=1), month="2024-02"), subsidy="employer_match")]
    lines = claim_lines(rows, ledger, ("2024-02", "2024-02"))
    assert [(ln.line_no, ln.month, ln.slip_id.int, ln.subsidy) for ln in lines] == [
        (1, "2024-01", 3, "worker_wage"), (2, "2024-02", 1, "employer_match"), (3, "2024-02", 1, "worker_wage"),
        (4, "2024-02", 2, "worker_wage")]


def test_a_rejected_clawback_of_a_vanished_entitlement_is_not_filed_again() -> None:
    ledger = ClaimLedger(organisation="ORG")
    claimed(ledger, FIRST, [row()], ("2024-03", "2024-03"))
    [clawback] = claimed(ledger, SECOND, [], None)  # the slip's line is gone: −12000
    ledger.release(SECOND, clawback.slip_id, clawback.subsidy, clawback.amount_fen)  # the county rejects it
    assert claim_lines([], ledger, None) == []
