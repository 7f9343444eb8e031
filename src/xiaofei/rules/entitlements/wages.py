"""Worker wage subsidy (工资补贴) and employer matching subsidy, per worker-month."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from xiaofei.rules.entitlements.facts import CertificationFacts, Line, PersonFacts, SlipFacts, age_on, params_reference
from xiaofei.rules.money import apply_rate, largest_remainder, yuan
from xiaofei.rules.parameters import ParameterVersion


@dataclass(frozen=True)
class WorkerMonthSlip:
    """One of a worker's slips in a month, with the certification of the workshop it was reported for."""

    slip: SlipFacts
    cert: CertificationFacts


WAGE_PARAMETERS = ("worker.eligible_categories", "worker.min_age", "worker.max_age_male", "worker.max_age_female",
                   "subsidy.worker_min_days", "subsidy.worker_wage_floor_fen", "subsidy.worker_wage_rate",
                   "subsidy.worker_wage_cap_fen", "subsidy.employer_match_ratio")


def worker_month_lines(month: str, first: date, last: date, slips: Sequence[WorkerMonthSlip],
                       person: PersonFacts | None, params: dict[str, ParameterVersion]
                       ) -> list[tuple[UUID, list[Line]]]:
    """Worker wage subsidy (工资补贴) and employer matching subsidy for every slip of one worker in one month of
    one county (the paying authority), in slip-id order.

    Minimum days and the wage floor are tested on the worker's month: days and gross pay summed over the worker's
    current, bank-verified slips (an unproven slip, perhaps another employer's, cannot lift a proven one). The monthly cap applies to the sum of the worker's subsidies; when it
    binds, the capped amount is shared between the lines in proportion to their uncapped subsidies by the
    largest-remainder method (leftover fen to the largest remainders, ties by slip id), so the lines sum to
    the cap exactly. The employer match is the ratio applied to each line's (capped) worker subsidy.
    """
    value = {name: params[name].typed() for name in WAGE_PARAMETERS}
    ordered = sorted(slips, key=lambda x: str(x.slip.slip_id))
    current = [x.slip for x in ordered if not x.slip.voided and x.slip.verified_version == x.slip.version]
    total_days = sum(s.days_worked for s in current)
    total_gross = sum(s.gross_fen for s in current)
    month_view = {"slips": [{"slip_id": str(s.slip_id), "version": s.version, "gross_fen": s.gross_fen,
                             "days_worked": s.days_worked} for s in current],
                  "total_days": total_days, "total_gross_fen": total_gross}

    person_checks: list[dict[str, Any]] = []

    def check(into: list[dict[str, Any]], code: str, name: str, passed: bool, detail: str) -> None:
        into.append({"code": code, "check": name, "passed": passed, "detail": detail})

    check(person_checks, "registered", "worker found in the registry (by ID hash), a member on " + last.isoformat(),
          person is not None,
          f"household {person.household_number}, member {person.person_number}" if person else
          "no registry member with this ID number on the month's last day: staff, but never subsidised")
    if person is not None:
        allowed = value["worker.eligible_categories"]
        check(person_checks, "category_eligible",
              f"household category on {last.isoformat()} is eligible", person.category in allowed,
              f"{person.category} (since {person.category_since}); eligible: {', '.join(allowed)}")
        age = age_on(person.birth_date, first)
        top = value["worker.max_age_male"] if person.sex == "M" else value["worker.max_age_female"]
        check(person_checks, "age_within_bounds", f"age on {first.isoformat()} within {value['worker.min_age']}–{top}",
              value["worker.min_age"] <= age <= top, f"age {age}, sex {person.sex}")
    month_checks: list[dict[str, Any]] = []
    if value["subsidy.worker_min_days"] is not None:
        check(month_checks, "min_days",
              f"at least {value['subsidy.worker_min_days']} days worked in the month (all verified slips)",
              total_days >= value["subsidy.worker_min_days"], f"{total_days} days")
    if value["subsidy.worker_wage_floor_fen"] is not None:
        floor = value["subsidy.worker_wage_floor_fen"]
        check(month_checks, "wage_floor",
              f"gross pay of the month (all verified slips) at least {yuan(floor)}元", total_gross >= floor,
              f"{yuan(total_gross)}元")

    rate: Decimal = value["subsidy.worker_wage_rate"]
    ratio: Decimal = value["subsidy.employer_match_ratio"]
    drafts: list[tuple[SlipFacts, list[dict[str, Any]], bool, int]] = []
    for x in ordered:
        slip = x.slip
        checks: list[dict[str, Any]] = []
        check(checks, "slip_current",
              "slip is current", not slip.voided, "voided" if slip.voided else f"version {slip.version}")
        check(checks, "workshop_certified",
              f"workshop certified on {last.isoformat()}", x.cert.in_force_on(last), x.cert.describe(last))
        checks.extend(person_checks)
        verified = slip.verified_version == slip.version and not slip.voided
        check(checks, "bank_verified", "wages verified by bank statement", verified,
              slip.verified_evidence or "" if verified else "not verified by bank statement")
        checks.extend(month_checks)
        eligible = all(c["passed"] for c in checks)
        drafts.append((slip, checks, eligible, apply_rate(rate, slip.gross_fen) if eligible else 0))

    cap = value["subsidy.worker_wage_cap_fen"]
    uncapped_total = sum(d[3] for d in drafts)
    capped = cap is not None and uncapped_total > cap
    shares = largest_remainder(cap, [(str(d[0].slip_id), d[3]) for d in drafts]) if capped else \
        [d[3] for d in drafts]
    out = []
    for (slip, checks, eligible, uncapped), worker in zip(drafts, shares, strict=True):
        arithmetic = [f"{rate} × {yuan(slip.gross_fen)}元 = {yuan(uncapped)}元 (half-up to the fen)"] if eligible \
            else ["not eligible: " + "; ".join(f"{c['check']}: {c['detail']}" for c in checks if not c["passed"])]
        if capped and eligible:
            arithmetic.append(f"the worker's monthly cap of {yuan(cap)}元 binds across their slips this month: "
                              f"this line's share is {yuan(worker)}元 (in proportion to the uncapped amounts, "
                              "largest remainder)")
        employer = apply_rate(ratio, worker)
        base = {"month": month, "slip": {"slip_id": str(slip.slip_id), "version": slip.version,
                                         "gross_fen": slip.gross_fen, "days_worked": slip.days_worked},
                "worker_month": month_view, "checks": checks, **params_reference(WAGE_PARAMETERS, last)}
        worker_line = Line("worker_wage", "worker", worker, eligible, {
            **base, "rule": "worker wage subsidy = rate × gross pay of the verified slip; the monthly cap applies "
                            "to the worker's month",
            "inputs": {"slip_id": str(slip.slip_id), "rate": str(rate), "gross_fen": slip.gross_fen, "cap_fen": cap,
                       "uncapped_fen": uncapped,
                       "worker_month_uncapped_fen": {str(d[0].slip_id): d[3] for d in drafts}},
            "arithmetic": arithmetic, "amount_fen": worker})
        employer_line = Line("employer_match", "employer", employer, eligible, {
            **base, "rule": "employer matching subsidy = match ratio × worker wage subsidy",
            "inputs": {"ratio": str(ratio), "worker_subsidy_fen": worker},
            "arithmetic": [f"{ratio} × {yuan(worker)}元 = {yuan(employer)}元 (half-up to the fen)"],
            "amount_fen": employer})
        out.append((slip.slip_id, [worker_line, employer_line]))
    return out
