"""Training subsidy (培训补贴)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from xiaofei.rules.entitlements.facts import Line, PersonFacts, age_on, params_reference
from xiaofei.rules.money import yuan


@dataclass(frozen=True)
class Trainee:
    training_id: UUID
    county: str
    held_on: date
    workshop_id: UUID
    organisation: str
    id_hash: str
    person: PersonFacts | None


def training_lines(trainees: list[Trainee], params_on: Any) -> list[tuple[Trainee, Line]]:
    """Training subsidy (培训补贴) per eligible trainee, to the employer; at most once per person per year, in
    whichever county: ``trainees`` must hold every training of each person in it. The first eligible training
    of the year (by date, then training id) is the subsidised one; parameters are the training county's."""
    out = []
    paid_years: set[tuple[str, int]] = set()
    for t in sorted(trainees, key=lambda x: (x.held_on, str(x.training_id), x.id_hash)):
        p = params_on(t.county, t.held_on)
        checks: list[dict[str, Any]] = []
        checks.append({"code": "registered",
                       "check": "trainee found in the registry (by ID hash)", "passed": t.person is not None,
                       "detail": f"household {t.person.household_number}" if t.person else "not a registry member"})
        if t.person is not None:
            allowed = p["worker.eligible_categories"].typed()
            checks.append({"code": "category_eligible",
                           "check": f"household category on {t.held_on.isoformat()} is eligible",
                           "passed": t.person.category in allowed, "detail": str(t.person.category)})
            age = age_on(t.person.birth_date, t.held_on)
            top = p["worker.max_age_male"].typed() if t.person.sex == "M" else p["worker.max_age_female"].typed()
            checks.append({"code": "age_within_bounds", "check": f"age within {p['worker.min_age'].typed()}–{top}",
                           "passed": p["worker.min_age"].typed() <= age <= top, "detail": f"age {age}"})
        first_this_year = (t.id_hash, t.held_on.year) not in paid_years
        checks.append({"code": "first_training_of_year",
                       "check": f"first subsidised training of {t.held_on.year}", "passed": first_this_year,
                       "detail": "" if first_this_year else "already subsidised for an earlier training this year"})
        eligible = all(c["passed"] for c in checks)
        if eligible:
            paid_years.add((t.id_hash, t.held_on.year))
        amount = p["subsidy.training_fen"].typed() if eligible else 0
        out.append((t, Line("training", "employer", amount, eligible, {
            "month": t.held_on.strftime("%Y-%m"), "rule": "training subsidy per eligible trainee, once per year",
            "training_id": str(t.training_id), "held_on": t.held_on.isoformat(), "checks": checks,
            **params_reference(("subsidy.training_fen",), t.held_on), "inputs": {"per_trainee_fen": amount},
            "arithmetic": [f"{yuan(amount)}元 per eligible trainee"], "amount_fen": amount})))
    return out
