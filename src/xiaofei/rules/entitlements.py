"""Employment subsidy entitlements (DOMAIN §4.3): pure functions from facts to explained amounts.

The explanation of every line carries the slip (id, version, gross), the parameters used (value, scope,
effective dates, source), each eligibility check with its reason, and the arithmetic; recomputing the
arithmetic from the explanation's numbers gives the amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from xiaofei.rules.money import apply_rate, yuan
from xiaofei.rules.parameters import ParameterVersion


@dataclass(frozen=True)
class SlipFacts:
    slip_id: UUID
    version: int
    gross_fen: int
    days_worked: int
    voided: bool
    verified_version: int | None
    verified_evidence: str | None


@dataclass(frozen=True)
class CertificationFacts:
    certified_on: date | None
    plaque_number: str | None
    decertified_on: date | None

    def in_force_on(self, day: date) -> bool:
        return (self.certified_on is not None and self.certified_on <= day
                and (self.decertified_on is None or self.decertified_on > day))


@dataclass(frozen=True)
class PersonFacts:
    county: str
    household_number: str
    person_number: str
    birth_date: date
    sex: str
    category: str | None
    """The household's category in force on the month's last day."""
    category_since: date | None


@dataclass(frozen=True)
class Line:
    subsidy: str
    payee: str
    amount_fen: int
    eligible: bool
    explanation: dict[str, Any]


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _param(p: ParameterVersion) -> dict[str, Any]:
    return {"name": p.name, "value": p.value, "scope": p.scope, "effective_from": p.effective_from.isoformat(),
            "effective_to": p.effective_to.isoformat() if p.effective_to else None, "source": p.source, "era": p.era}


def wage_subsidy_lines(month: str, first: date, last: date, slip: SlipFacts, cert: CertificationFacts,
                       person: PersonFacts | None, params: dict[str, ParameterVersion]) -> list[Line]:
    """Worker wage subsidy (工资补贴) and employer matching subsidy for one worker-month."""
    used = ["worker.eligible_categories", "worker.min_age", "worker.max_age_male", "worker.max_age_female",
            "subsidy.worker_min_days", "subsidy.worker_wage_floor_fen", "subsidy.worker_wage_rate",
            "subsidy.worker_wage_cap_fen", "subsidy.employer_match_ratio"]
    value = {name: params[name].typed() for name in used}
    checks: list[dict[str, Any]] = []

    def check(name: str, passed: bool, detail: str) -> None:
        checks.append({"check": name, "passed": passed, "detail": detail})

    check("slip is current", not slip.voided, "voided" if slip.voided else f"version {slip.version}")
    check(f"workshop certified on {last.isoformat()}", cert.in_force_on(last),
          f"plaque {cert.plaque_number}, certified {cert.certified_on}" if cert.in_force_on(last) else
          ("not certified" if cert.certified_on is None or cert.certified_on > last else
           f"decertified from {cert.decertified_on}"))
    check("worker found in the registry (by ID hash)", person is not None,
          f"household {person.household_number}, member {person.person_number}" if person else
          "no registry member with this ID number: staff, but never subsidised")
    if person is not None:
        allowed = value["worker.eligible_categories"]
        check(f"household category on {last.isoformat()} is eligible", person.category in allowed,
              f"{person.category} (since {person.category_since}); eligible: {', '.join(allowed)}")
        age = age_on(person.birth_date, first)
        top = value["worker.max_age_male"] if person.sex == "M" else value["worker.max_age_female"]
        check(f"age on {first.isoformat()} within {value['worker.min_age']}–{top}",
              value["worker.min_age"] <= age <= top, f"age {age}, sex {person.sex}")
    verified = slip.verified_version == slip.version and not slip.voided
    check("wages verified by bank statement", verified,
          slip.verified_evidence or "" if verified else "not verified by bank statement")
    if value["subsidy.worker_min_days"] is not None:
        check(f"at least {value['subsidy.worker_min_days']} days worked",
              slip.days_worked >= value["subsidy.worker_min_days"], f"{slip.days_worked} days")
    if value["subsidy.worker_wage_floor_fen"] is not None:
        floor = value["subsidy.worker_wage_floor_fen"]
        check(f"gross pay at least {yuan(floor)}元", slip.gross_fen >= floor, f"{yuan(slip.gross_fen)}元")

    eligible = all(c["passed"] for c in checks)
    rate: Decimal = value["subsidy.worker_wage_rate"]
    ratio: Decimal = value["subsidy.employer_match_ratio"]
    worker = apply_rate(rate, slip.gross_fen) if eligible else 0
    arithmetic = [f"{rate} × {yuan(slip.gross_fen)}元 = {yuan(worker)}元 (half-up to the fen)"] if eligible else \
        ["not eligible: " + "; ".join(f"{c['check']}: {c['detail']}" for c in checks if not c["passed"])]
    cap = value["subsidy.worker_wage_cap_fen"]
    if eligible and cap is not None and worker > cap:
        arithmetic.append(f"capped at {yuan(cap)}元")
        worker = cap
    employer = apply_rate(ratio, worker)
    base = {"month": month, "slip": {"slip_id": str(slip.slip_id), "version": slip.version,
                                     "gross_fen": slip.gross_fen, "days_worked": slip.days_worked},
            "checks": checks, "parameters": [_param(params[n]) for n in used]}
    worker_line = Line("worker_wage", "worker", worker, eligible, {
        **base, "rule": "worker wage subsidy = rate × gross pay of the verified slip",
        "inputs": {"rate": str(rate), "gross_fen": slip.gross_fen, "cap_fen": cap},
        "arithmetic": arithmetic, "amount_fen": worker})
    employer_line = Line("employer_match", "employer", employer, eligible, {
        **base, "rule": "employer matching subsidy = match ratio × worker wage subsidy",
        "inputs": {"ratio": str(ratio), "worker_subsidy_fen": worker},
        "arithmetic": [f"{ratio} × {yuan(worker)}元 = {yuan(employer)}元 (half-up to the fen)"],
        "amount_fen": employer})
    return [worker_line, employer_line]


def certification_months(months: list[str], worker_months: dict[str, set[str]], eligible: dict[str, set[str]],
                         staff: dict[str, int], params_for: Any) -> list[dict[str, Any]]:
    """Month by month: does the workshop meet the certification criteria, and with which workers?

    ``worker_months[h]`` is the set of months worker ``h`` has a current slip; ``eligible[m]`` the workers
    eligible (registered poor/exited/monitored, in age) in month ``m``. A worker qualifies in month M when
    eligible in each of the ``min_employment_months`` consecutive months ending at M.
    """
    out = []
    for m in months:
        params = params_for(m)
        need_months: int = params["workshop.min_employment_months"].typed()
        need_workers: int = params["workshop.min_poor_workers"].typed()
        share = params["workshop.min_poor_share"].typed()
        window = _months_back(m, need_months)
        qualifying = sorted(h for h in eligible.get(m, set())
                            if all(h in eligible.get(w, set()) and w in worker_months.get(h, set()) for w in window))
        meets = len(qualifying) >= need_workers or (
            share is not None and staff.get(m, 0) > 0 and Decimal(len(qualifying)) / staff[m] >= share
            and len(qualifying) > 0)
        out.append({"month": m, "qualifying_workers": qualifying, "staff": staff.get(m, 0), "meets": meets,
                    "rule": f"≥{need_workers} eligible workers each with slips in {need_months} consecutive months"
                            + (f", or ≥{share} of staff" if share is not None else ""),
                    "parameters": [_param(params[n]) for n in ("workshop.min_poor_workers",
                                                               "workshop.min_employment_months",
                                                               "workshop.min_poor_share")]})
    return out


def _months_back(month: str, count: int) -> list[str]:
    year, mon = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{mon:02d}")
        mon -= 1
        if mon == 0:
            year, mon = year - 1, 12
    return out
