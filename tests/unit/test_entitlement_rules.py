"""The pure entitlement rules: hiring awards across the era boundary, caps per worker-month, certification criteria."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from xiaofei.rules.entitlements import (
    CertificationFacts,
    CertificationPeriod,
    EligibleMonth,
    PersonFacts,
    SlipFacts,
    WorkerMonthSlip,
    counts_for_certification,
    hiring_award_lines,
    worker_month_lines,
)
from xiaofei.rules.money import largest_remainder
from xiaofei.rules.parameters import ParameterVersion, all_in_force

NS = UUID("00000000-0000-0000-0000-000000000001")
WORKSHOP = uuid5(NS, "workshop")


def _params(overrides: dict[str, str] | None = None, since: date = date(2013, 1, 1)) -> list[ParameterVersion]:
    return [ParameterVersion(name, value, "360724", since, None, "县人社局 test", "transition", i + 1)
            for i, (name, value) in enumerate((overrides or {}).items())]


def _months(first: str, count: int) -> list[str]:
    year, mon = int(first[:4]), int(first[5:])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return out


def _run(months: list[str], hired: date = date(2020, 7, 1), org: str = "ORG") -> list[EligibleMonth]:
    return [EligibleMonth("person", "360724", org, WORKSHOP, m, uuid5(NS, m + org), 150000, hired) for m in months]


def _on(versions: list[ParameterVersion]):  # type: ignore[no-untyped-def]
    return lambda county, day: all_in_force(versions, county, day)


def test_one_uninterrupted_employment_across_the_era_boundary_earns_no_award_from_overlapping_windows() -> None:
    # 2020-07 … 2021-03: the campaign-era award closes in 2020-12; 2021-01 … 2021-03 are only three new months
    awards = hiring_award_lines(_run(_months("2020-07", 9)), _on([]))
    assert [(a.month.month, a.line.explanation["era"]) for a in awards] == [("2020-12", "campaign")]


def test_a_transition_era_award_needs_months_of_its_own() -> None:
    awards = hiring_award_lines(_run(_months("2020-07", 12)), _on([]))
    assert [(a.month.month, a.line.explanation["era"]) for a in awards] == [
        ("2020-12", "campaign"), ("2021-06", "transition")]
    first, second = ({s["month"] for s in a.line.explanation["slips"]} for a in awards)
    assert not first & second
    assert awards[0].key != awards[1].key


def test_an_award_keeps_its_key_when_it_moves_to_an_earlier_month() -> None:
    late = hiring_award_lines(_run(_months("2024-02", 6), hired=date(2024, 1, 1)), _on([]))
    early = hiring_award_lines(_run(_months("2024-01", 7), hired=date(2024, 1, 1)), _on([]))
    assert (late[0].month.month, early[0].month.month) == ("2024-07", "2024-06")
    assert late[0].key == early[0].key


def test_hiring_parameters_are_read_on_the_hire_date() -> None:
    versions = _params({"subsidy.hiring_award_fen": "200000", "subsidy.hiring_min_months": "3",
                        "subsidy.hiring_min_pay_total_fen": "400000"},
                       since=date(2024, 3, 1))
    before = hiring_award_lines(_run(_months("2024-01", 6), hired=date(2024, 1, 1)), _on(versions))
    after = hiring_award_lines(_run(_months("2024-03", 3), hired=date(2024, 3, 1)), _on(versions))
    assert [(a.month.month, a.line.amount_fen) for a in before] == [("2024-06", 100000)]
    assert [(a.month.month, a.line.amount_fen) for a in after] == [("2024-05", 200000)]


def _slip(n: int, gross: int, days: int = 22, verified: bool = True) -> SlipFacts:
    return SlipFacts(uuid5(NS, f"slip{n}"), 1, gross, days, False, 1 if verified else None, "bank")


PERSON = PersonFacts("360724", "H1", "P1", date(1980, 1, 1), "M", "exited", date(2016, 1, 1))
CERT = CertificationFacts((CertificationPeriod("P", date(2024, 1, 1), None),))


def test_the_monthly_cap_is_shared_between_a_workers_slips_and_sums_to_the_cap() -> None:
    params = all_in_force(_params({"subsidy.worker_wage_cap_fen": "10001"}), "360724", date(2024, 3, 31))
    slips = [WorkerMonthSlip(_slip(i, g), CERT) for i, g in enumerate((30000, 30000, 30000))]
    lines = worker_month_lines("2024-03", date(2024, 3, 1), date(2024, 3, 31), slips, PERSON, params)
    worker = [ls[0].amount_fen for _, ls in lines]
    assert sum(worker) == 10001 and sorted(worker) == [3333, 3334, 3334]
    assert [ls[1].amount_fen for _, ls in lines] == worker  # matching 1.0 of each capped line


def test_the_wage_floor_is_the_months_gross_across_slips() -> None:
    params = all_in_force(_params({"subsidy.worker_wage_floor_fen": "100000"}), "360724", date(2024, 3, 31))
    slips = [WorkerMonthSlip(_slip(1, 60000), CERT), WorkerMonthSlip(_slip(2, 50000), CERT)]
    lines = worker_month_lines("2024-03", date(2024, 3, 1), date(2024, 3, 31), slips, PERSON, params)
    assert sorted(ls[0].amount_fen for _, ls in lines) == [10000, 12000]  # 1,100元 in the month ≥ 1,000元


def test_certification_counts_verified_slips_paying_the_minimum_wage() -> None:
    params = all_in_force(_params({"workshop.min_monthly_wage_fen": "170000"}), "360724", date(2024, 4, 30))
    first = date(2024, 4, 1)
    assert counts_for_certification(_slip(1, 180000), PERSON, first, params)
    assert not counts_for_certification(_slip(2, 150000), PERSON, first, params)  # below the minimum wage
    assert not counts_for_certification(_slip(3, 180000, verified=False), PERSON, first, params)
    assert not counts_for_certification(_slip(4, 180000), None, first, params)


def test_largest_remainder_parts_sum_to_the_whole_and_ties_go_by_key() -> None:
    assert largest_remainder(100, [("b", 1), ("a", 1), ("c", 1)]) == [33, 34, 33]
    assert largest_remainder(7, [("x", 0), ("y", 0)]) == [0, 0]
    assert sum(largest_remainder(15001, [("a", 12000), ("b", 8000)])) == 15001


def test_a_month_in_a_gap_between_certification_periods_is_not_certified() -> None:
    cert = CertificationFacts((CertificationPeriod("A", date(2023, 1, 1), date(2023, 6, 1), "closed"),
                               CertificationPeriod("B", date(2024, 1, 1), None)))
    assert cert.in_force_on(date(2023, 4, 30)) and not cert.in_force_on(date(2023, 7, 31))
    assert cert.period_on(date(2024, 2, 29)).plaque_number == "B"  # type: ignore[union-attr]
    assert cert.describe(date(2023, 7, 31)) == "decertified from 2023-06-01 (closed)"
    assert cert.first_certified_on == date(2023, 1, 1)


def test_an_organisation_month_paid_in_two_workshops_counts_all_its_pay_towards_the_award() -> None:
    other = uuid5(NS, "other workshop")
    months = _months("2024-01", 6)
    both = [EligibleMonth("person", "360724", "ORG", ws, m, uuid5(NS, m + str(ws)), 60000, date(2024, 1, 1))
            for m in months for ws in (WORKSHOP, other)]
    [award] = hiring_award_lines(both, _on([]))  # 6 × (600 + 600)元 = 7,200元 ≥ 6,000元
    assert award.month.month == "2024-06" and len(award.line.explanation["slips"]) == 12
    assert award.line.explanation["checks"][0]["check"].startswith("6 consecutive eligible months")
    assert hiring_award_lines([m for m in both if m.workshop_id == WORKSHOP], _on([])) == []  # 3,600元 alone
