"""Employment subsidy entitlements (DOMAIN §4.3): pure functions from facts to explained amounts.

The explanation of every line carries the slip (id, version, gross), the parameters used (value, scope,
effective dates, source), each eligibility check with its reason, and the arithmetic; recomputing the
arithmetic from the explanation's numbers gives the amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from xiaofei.domain.employment import month_bounds
from xiaofei.rules.money import apply_rate, yuan
from xiaofei.rules.parameters import ParameterVersion, in_force


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


def parameter_view(p: ParameterVersion) -> dict[str, Any]:
    return {"name": p.name, "value": p.value, "scope": p.scope, "effective_from": p.effective_from.isoformat(),
            "effective_to": p.effective_to.isoformat() if p.effective_to else None, "source": p.source, "era": p.era}


def _params(names: Sequence[str], on: date) -> dict[str, Any]:
    """Stored explanations name the parameters and the date they were looked up on; ``expand_parameters``
    turns that into values, scopes, dates and sources when the explanation is read (a line is recomputed
    whenever one of its parameters changes, so the expansion always matches the amount)."""
    return {"parameters": list(names), "parameters_on": on.isoformat()}


def expand_parameters(explanation: dict[str, Any], versions: list[ParameterVersion], county: str) -> dict[str, Any]:
    names = explanation.get("parameters")
    if not names or not isinstance(names[0], str):
        return explanation
    on = date.fromisoformat(explanation["parameters_on"])
    return {**explanation, "parameters": [parameter_view(in_force(versions, n, county, on)) for n in names]}


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
            "checks": checks, **_params(used, last)}
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
                    **_params(("workshop.min_poor_workers", "workshop.min_employment_months",
                               "workshop.min_poor_share"), month_last_day(m))})
    return out


def months_before(month: str, count: int) -> str:
    """The month ``count`` months before ``month``."""
    return _months_back(month, count + 1)[-1]


def _months_back(month: str, count: int) -> list[str]:
    year, mon = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{mon:02d}")
        mon -= 1
        if mon == 0:
            year, mon = year - 1, 12
    return out


def month_last_day(month: str) -> date:
    return month_bounds(month)[1]


def era_of(month: str) -> str:
    """攻坚期 (campaign) up to 2020, 过渡期 (transition) from 2021."""
    return "campaign" if month <= "2020-12" else "transition"


def _next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + (mon == 12):04d}-{mon % 12 + 1:02d}"


@dataclass(frozen=True)
class EligibleMonth:
    """A worker-month whose wage subsidy checks all passed (verified slip, eligible worker, certified workshop)."""

    id_hash: str
    organisation: str
    workshop_id: UUID
    month: str
    slip_id: UUID
    gross_fen: int


def hiring_award_lines(months: list[EligibleMonth], params_for: Any) -> list[tuple[EligibleMonth, Line]]:
    """One-time hiring awards (一次性奖补), to the employer.

    A worker earns one award per county and era, in the first month M that ends ``subsidy.hiring_min_months``
    consecutive eligible months with one employer whose gross pay totals at least ``subsidy.hiring_min_pay_total_fen``.
    Awards count against ``subsidy.hiring_cap_per_workshop_fen`` in month order; past the cap they shrink to zero.
    """
    by_person: dict[str, dict[str, list[EligibleMonth]]] = {}
    for m in months:
        by_person.setdefault(m.id_hash, {}).setdefault(m.organisation, []).append(m)
    awards: list[tuple[EligibleMonth, list[EligibleMonth], dict[str, ParameterVersion]]] = []
    for id_hash in sorted(by_person):
        found: dict[str, tuple[EligibleMonth, list[EligibleMonth], dict[str, ParameterVersion]]] = {}
        for org in sorted(by_person[id_hash]):
            run: list[EligibleMonth] = []
            per_month: dict[str, EligibleMonth] = {}
            for m in sorted(by_person[id_hash][org], key=lambda x: (x.month, str(x.workshop_id))):
                per_month.setdefault(m.month, m)
            for month in sorted(per_month):
                m = per_month[month]
                run = run + [m] if run and _next_month(run[-1].month) == month else [m]
                p = params_for(month)
                need = p["subsidy.hiring_min_months"].typed()
                window = run[-need:]
                enough_pay = sum(x.gross_fen for x in window) >= p["subsidy.hiring_min_pay_total_fen"].typed()
                era = era_of(month)
                if len(window) == need and enough_pay and (
                        era not in found or (month, org) < (found[era][0].month, found[era][0].organisation)):
                    found[era] = (m, window, p)
        awards.extend(found.values())
    awards.sort(key=lambda a: (a[0].month, a[0].id_hash))
    used: dict[UUID, int] = {}
    out = []
    for m, window, p in awards:
        amount = p["subsidy.hiring_award_fen"].typed()
        cap = p["subsidy.hiring_cap_per_workshop_fen"].typed()
        before = used.get(m.workshop_id, 0)
        granted = max(0, min(amount, cap - before))
        used[m.workshop_id] = before + granted
        arithmetic = [f"award {yuan(amount)}元; workshop awards so far {yuan(before)}元 of the {yuan(cap)}元 cap"
                      f" → {yuan(granted)}元"]
        out.append((m, Line("hiring_award", "employer", granted, granted > 0, {
            "month": m.month, "rule": "one-time hiring award: once per worker per county and era, after "
                                      "consecutive eligible months with one employer",
            "slips": [{"slip_id": str(x.slip_id), "month": x.month, "gross_fen": x.gross_fen} for x in window],
            "checks": [{"check": f"{len(window)} consecutive eligible months with {m.organisation}", "passed": True,
                        "detail": f"{window[0].month} to {window[-1].month}"},
                       {"check": "pay over those months", "passed": True,
                        "detail": f"{yuan(sum(x.gross_fen for x in window))}元 ≥ "
                                  f"{yuan(p['subsidy.hiring_min_pay_total_fen'].typed())}元"}],
            **_params(("subsidy.hiring_award_fen", "subsidy.hiring_min_months", "subsidy.hiring_min_pay_total_fen",
                       "subsidy.hiring_cap_per_workshop_fen"), month_last_day(m.month)),
            "inputs": {"award_fen": amount, "cap_fen": cap, "awarded_before_fen": before},
            "arithmetic": arithmetic, "amount_fen": granted})))
    return out


@dataclass(frozen=True)
class Trainee:
    training_id: UUID
    held_on: date
    workshop_id: UUID
    organisation: str
    id_hash: str
    person: PersonFacts | None


def training_lines(trainees: list[Trainee], params_for_day: Any) -> list[tuple[Trainee, Line]]:
    """Training subsidy (培训补贴) per eligible trainee, to the employer; at most once per person per year."""
    out = []
    paid_years: set[tuple[str, int]] = set()
    for t in sorted(trainees, key=lambda x: (x.held_on, str(x.training_id), x.id_hash)):
        p = params_for_day(t.held_on)
        checks: list[dict[str, Any]] = []
        checks.append({"check": "trainee found in the registry (by ID hash)", "passed": t.person is not None,
                       "detail": f"household {t.person.household_number}" if t.person else "not a registry member"})
        if t.person is not None:
            allowed = p["worker.eligible_categories"].typed()
            checks.append({"check": f"household category on {t.held_on.isoformat()} is eligible",
                           "passed": t.person.category in allowed, "detail": str(t.person.category)})
            age = age_on(t.person.birth_date, t.held_on)
            top = p["worker.max_age_male"].typed() if t.person.sex == "M" else p["worker.max_age_female"].typed()
            checks.append({"check": f"age within {p['worker.min_age'].typed()}–{top}",
                           "passed": p["worker.min_age"].typed() <= age <= top, "detail": f"age {age}"})
        first_this_year = (t.id_hash, t.held_on.year) not in paid_years
        checks.append({"check": f"first subsidised training of {t.held_on.year}", "passed": first_this_year,
                       "detail": "" if first_this_year else "already subsidised for an earlier training this year"})
        eligible = all(c["passed"] for c in checks)
        if eligible:
            paid_years.add((t.id_hash, t.held_on.year))
        amount = p["subsidy.training_fen"].typed() if eligible else 0
        out.append((t, Line("training", "employer", amount, eligible, {
            "month": t.held_on.strftime("%Y-%m"), "rule": "training subsidy per eligible trainee, once per year",
            "training_id": str(t.training_id), "held_on": t.held_on.isoformat(), "checks": checks,
            **_params(("subsidy.training_fen",), t.held_on), "inputs": {"per_trainee_fen": amount},
            "arithmetic": [f"{yuan(amount)}元 per eligible trainee"], "amount_fen": amount})))
    return out


def rent_line(month: str, last: date, cert: CertificationFacts, costs_fen: int, eligible_workers: int, staff: int,
              params: dict[str, ParameterVersion], evidence: list[str]) -> Line:
    """Rent & utilities subsidy (场租水电): a share of evidenced costs while poor workers are enough of the staff,
    for the first months after certification."""
    ratio: Decimal = params["subsidy.rent_ratio"].typed()
    share_needed: Decimal = params["subsidy.rent_min_poor_share"].typed()
    months_allowed: int = params["subsidy.rent_months"].typed()
    checks = []
    certified = cert.in_force_on(last)
    checks.append({"check": f"workshop certified on {last.isoformat()}", "passed": certified,
                   "detail": f"certified {cert.certified_on}" if certified else "not certified"})
    if certified and cert.certified_on is not None:
        since = (int(month[:4]) - cert.certified_on.year) * 12 + int(month[5:]) - cert.certified_on.month
        checks.append({"check": f"within {months_allowed} months of certification", "passed": since < months_allowed,
                       "detail": f"month {since + 1} since certification"})
    share = Decimal(eligible_workers) / staff if staff else Decimal(0)
    checks.append({"check": f"eligible poor workers at least {share_needed} of staff", "passed": share >= share_needed,
                   "detail": f"{eligible_workers} of {staff}"})
    checks.append({"check": "costs evidenced", "passed": bool(evidence), "detail": "; ".join(evidence)})
    eligible = all(c["passed"] for c in checks)
    amount = apply_rate(ratio, costs_fen) if eligible else 0
    return Line("rent_utilities", "employer", amount, eligible, {
        "month": month, "rule": "rent & utilities subsidy = ratio × evidenced costs of the month", "checks": checks,
        **_params(("subsidy.rent_ratio", "subsidy.rent_min_poor_share", "subsidy.rent_months"), last),
        "inputs": {"ratio": str(ratio), "costs_fen": costs_fen},
        "arithmetic": [f"{ratio} × {yuan(costs_fen)}元 = {yuan(amount)}元 (half-up to the fen)" if eligible
                       else "not eligible"], "amount_fen": amount})
