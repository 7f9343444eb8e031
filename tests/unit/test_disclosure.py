"""The outcome view of an explanation: what an employer may read (pure)."""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID

from xiaofei.rules.disclosure import AGE, REGISTERED, Viewer, disclose, outcome_view, without_exact_ages
from xiaofei.rules.entitlements import (
    CertificationFacts,
    CertificationPeriod,
    PersonFacts,
    SlipFacts,
    WorkerMonthSlip,
    worker_month_lines,
)
from xiaofei.rules.parameters import all_in_force, builtin_defaults

COUNTY = "360724"
PERSON = PersonFacts(county=COUNTY, household_number="36072400000042", person_number="3607240000004201",
                     birth_date=date(1958, 5, 17), sex="M", category="monitored", category_since=date(2022, 4, 1))


def explanation(person: PersonFacts | None, verified: bool = True) -> dict:  # type: ignore[type-arg]
    slip = SlipFacts(UUID(int=1), 1, 60000, 22, False, 1 if verified else None,
                     "bank statement line 2, matched by reference" if verified else None)
    cert = CertificationFacts((CertificationPeriod("赣州-0427", date(2024, 1, 1), None),))
    [(_, lines)] = worker_month_lines("2024-03", date(2024, 3, 1), date(2024, 3, 31), [WorkerMonthSlip(slip, cert)],
                                      person, all_in_force(builtin_defaults(), COUNTY, date(2024, 3, 31)))
    return lines[0].explanation


def test_an_employer_reads_that_the_worker_is_registered_but_no_registry_detail() -> None:
    full = explanation(PERSON)
    view = outcome_view(full)
    text = json.dumps(view, ensure_ascii=False)
    for secret in ("36072400000042", "3607240000004201", "monitored (since", "2022-04-01", "age 65", "sex M"):
        assert secret in json.dumps(full, ensure_ascii=False)  # the stored explanation has it
        assert secret not in text, secret
    checks = {c["check"]: c for c in view["checks"]}
    assert checks[REGISTERED] == {"check": REGISTERED, "passed": True, "detail": "yes"}
    assert checks[AGE] == {"check": AGE, "passed": False, "detail": "no"}  # 65 on 2024-03-01, above 60
    assert checks["wages verified by bank statement"]["detail"] == "bank statement line 2, matched by reference"
    assert view["arithmetic"] == [f"not eligible: {AGE}"]
    assert view["slip"] == full["slip"] and view["parameters"] == full["parameters"]


def test_a_worker_outside_the_registry_and_one_of_an_ineligible_category_read_the_same() -> None:
    outside = outcome_view(explanation(None))
    ordinary = outcome_view(explanation(PersonFacts(**{**PERSON.__dict__, "category": "ordinary",
                                                       "birth_date": date(1980, 1, 1)})))
    assert [c for c in outside["checks"] if c["check"] == REGISTERED] == \
        [c for c in ordinary["checks"] if c["check"] == REGISTERED]
    assert not [c for c in outside["checks"] if c["check"] == REGISTERED][0]["passed"]


def test_unknown_checks_and_keys_are_denied_by_default_and_codes_are_read_first() -> None:
    view = outcome_view({"rule": "r", "household": "36072400000042", "checks": [
        {"check": "lives in village 360724100001", "passed": True, "detail": "household 36072400000042"},
        {"check": "whatever it is called", "code": "category_eligible", "passed": True, "detail": "poor since 2014"},
        {"check": "slip is current", "code": "slip_current", "passed": True, "detail": "version 3"}],
        "arithmetic": ["0.20 × 600.00元 = 120.00元"]})
    assert "household" not in view and "36072400000042" not in json.dumps(view)
    assert view["checks"] == [
        {"check": "lives in village 360724100001", "passed": True, "detail": ""},
        {"check": REGISTERED, "passed": True, "detail": "yes"},
        {"check": "slip is current", "passed": True, "detail": "version 3"}]
    assert view["arithmetic"] == ["0.20 × 600.00元 = 120.00元"]


def test_who_reads_what() -> None:
    full = explanation(PERSON)
    home = frozenset({COUNTY})
    assert disclose(full, Viewer("county_official", home), home) == without_exact_ages(full)
    assert disclose(full, Viewer("auditor", frozenset({COUNTY, "421081"})), home) == without_exact_ages(full)
    assert without_exact_ages(full)["parameters"] == full["parameters"]
    assert disclose(full, Viewer("employer", frozenset()), home) == outcome_view(full)
    elsewhere = disclose(full, Viewer("county_official", frozenset({"421081"})), home)
    assert [c["detail"] for c in elsewhere["checks"] if c["check"] == REGISTERED] == \
        ["yes (registry of county 360724)"]
    assert "36072400000042" not in json.dumps(elsewhere)
    assert disclose(full, Viewer("county_official", home), None) == outcome_view(full, [])  # worker unknown


def test_an_employer_does_not_read_the_workers_month_across_other_employers() -> None:
    checks = [{"code": "min_days", "check": "at least 20 days worked in the month (all verified slips)",
               "passed": True, "detail": "31 days"},
              {"code": "wage_floor", "check": "gross pay of the month (all verified slips) at least 1000.00元",
               "passed": True, "detail": "2400.00元"}]
    view = outcome_view({"checks": checks, "inputs": {"rate": "0.20", "worker_month_uncapped_fen": {"a": 1, "b": 2}}})
    assert [c["detail"] for c in view["checks"]] == ["", ""]
    assert "worker_month_uncapped_fen" not in view["inputs"] and "worker_month" not in view


def test_officials_and_auditors_read_whether_the_age_is_within_bounds_not_the_age() -> None:
    # issue 23.7: the age on the first of each month gives the birth month away, and with the birth year and the
    # mask's last four digits an ID number has a handful of candidates
    full = explanation(PERSON)
    official = Viewer("county_official", frozenset({COUNTY}))
    view = disclose(full, official, frozenset({COUNTY}))
    ages = [c for c in view["checks"] if c.get("code") == "age_within_bounds"]
    assert ages and ages[0]["passed"] is False and ages[0]["detail"] == "sex M"
    assert "age 65" in json.dumps(full) and "age 65" not in json.dumps(view)
    assert [c["check"] for c in view["checks"]] == [c["check"] for c in full["checks"]]
