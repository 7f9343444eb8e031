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

from xiaofei.domain import ids
from xiaofei.domain.employment import month_bounds
from xiaofei.rules.money import apply_rate, largest_remainder, yuan
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
class CertificationPeriod:
    """One period of certification (认定): from ``certified_on`` up to (not including) ``ends_on``."""

    plaque_number: str
    certified_on: date
    ends_on: date | None
    end_reason: str | None = None

    def covers(self, day: date) -> bool:
        return self.certified_on <= day and (self.ends_on is None or self.ends_on > day)


@dataclass(frozen=True)
class CertificationFacts:
    """A workshop's certification history: every period, oldest first (periods never overlap)."""

    periods: tuple[CertificationPeriod, ...] = ()

    def period_on(self, day: date) -> CertificationPeriod | None:
        for period in self.periods:
            if period.covers(day):
                return period
        return None

    def in_force_on(self, day: date) -> bool:
        return self.period_on(day) is not None

    @property
    def first_certified_on(self) -> date | None:
        return self.periods[0].certified_on if self.periods else None

    def describe(self, day: date) -> str:
        """Why the workshop is or is not certified on ``day``, for explanations."""
        period = self.period_on(day)
        if period is not None:
            return f"plaque {period.plaque_number}, certified {period.certified_on}"
        before = [p for p in self.periods if p.certified_on <= day]
        if not before:
            return "not certified"
        last = before[-1]
        return f"decertified from {last.ends_on}" + (f" ({last.end_reason})" if last.end_reason else "")


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
    by_name = explanation.get("parameters_on_by_name") or {}
    return {**explanation, "parameters": [
        parameter_view(in_force(versions, n, county, date.fromisoformat(by_name[n]) if n in by_name else on))
        for n in names]}


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

    Minimum days and the wage floor are tested on the worker's month: days and gross pay summed over all the
    worker's current (not voided) slips. The monthly cap applies to the sum of the worker's subsidies; when it
    binds, the capped amount is shared between the lines in proportion to their uncapped subsidies by the
    largest-remainder method (leftover fen to the largest remainders, ties by slip id), so the lines sum to
    the cap exactly. The employer match is the ratio applied to each line's (capped) worker subsidy.
    """
    value = {name: params[name].typed() for name in WAGE_PARAMETERS}
    ordered = sorted(slips, key=lambda x: str(x.slip.slip_id))
    current = [x.slip for x in ordered if not x.slip.voided]
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
        check(person_checks, "category_eligible", f"household category on {last.isoformat()} is eligible", person.category in allowed,
              f"{person.category} (since {person.category_since}); eligible: {', '.join(allowed)}")
        age = age_on(person.birth_date, first)
        top = value["worker.max_age_male"] if person.sex == "M" else value["worker.max_age_female"]
        check(person_checks, "age_within_bounds", f"age on {first.isoformat()} within {value['worker.min_age']}–{top}",
              value["worker.min_age"] <= age <= top, f"age {age}, sex {person.sex}")
    month_checks: list[dict[str, Any]] = []
    if value["subsidy.worker_min_days"] is not None:
        check(month_checks, "min_days", f"at least {value['subsidy.worker_min_days']} days worked in the month (all slips)",
              total_days >= value["subsidy.worker_min_days"], f"{total_days} days")
    if value["subsidy.worker_wage_floor_fen"] is not None:
        floor = value["subsidy.worker_wage_floor_fen"]
        check(month_checks, "wage_floor", f"gross pay of the month (all slips) at least {yuan(floor)}元", total_gross >= floor,
              f"{yuan(total_gross)}元")

    rate: Decimal = value["subsidy.worker_wage_rate"]
    ratio: Decimal = value["subsidy.employer_match_ratio"]
    drafts: list[tuple[SlipFacts, list[dict[str, Any]], bool, int]] = []
    for x in ordered:
        slip = x.slip
        checks: list[dict[str, Any]] = []
        check(checks, "slip_current", "slip is current", not slip.voided, "voided" if slip.voided else f"version {slip.version}")
        check(checks, "workshop_certified", f"workshop certified on {last.isoformat()}", x.cert.in_force_on(last), x.cert.describe(last))
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
            arithmetic.append(f"the worker's subsidies this month total {yuan(uncapped_total)}元 over the "
                              f"{yuan(cap)}元 monthly cap: this line's share of the cap is {yuan(worker)}元 "
                              "(in proportion to the uncapped amounts, largest remainder)")
        employer = apply_rate(ratio, worker)
        base = {"month": month, "slip": {"slip_id": str(slip.slip_id), "version": slip.version,
                                         "gross_fen": slip.gross_fen, "days_worked": slip.days_worked},
                "worker_month": month_view, "checks": checks, **_params(WAGE_PARAMETERS, last)}
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


def counts_for_certification(slip: SlipFacts, person: PersonFacts | None, first: date,
                             params: dict[str, ParameterVersion]) -> bool:
    """Does this worker-month count towards the workshop's certification criteria? The worker is eligible
    (a registry member on the month's last day whose household category is eligible, within the age bounds on
    the month's first day) with a current slip that the bank statement verified, and, where the county sets
    ``workshop.min_monthly_wage_fen`` (吉林 2018: pay at least the local minimum wage), enough gross pay."""
    if slip.voided or slip.verified_version != slip.version or person is None:
        return False
    if person.category not in params["worker.eligible_categories"].typed():
        return False
    top = params["worker.max_age_male"].typed() if person.sex == "M" else params["worker.max_age_female"].typed()
    if not params["worker.min_age"].typed() <= age_on(person.birth_date, first) <= top:
        return False
    floor = params["workshop.min_monthly_wage_fen"].typed()
    return floor is None or slip.gross_fen >= floor


def certification_months(months: list[str], eligible: dict[str, set[str]], staff: dict[str, int],
                         params_for: Any) -> list[dict[str, Any]]:
    """Month by month: does the workshop meet the certification criteria, and with which workers?

    ``eligible[m]`` holds the workers whose month ``m`` counts (see ``counts_for_certification``); a worker
    qualifies in month M when their months count in each of the ``min_employment_months`` consecutive months
    ending at M. ``staff[m]`` is everyone with a current slip in ``m``.
    """
    out = []
    for m in months:
        params = params_for(m)
        need_months: int = params["workshop.min_employment_months"].typed()
        need_workers: int = params["workshop.min_poor_workers"].typed()
        share = params["workshop.min_poor_share"].typed()
        floor = params["workshop.min_monthly_wage_fen"].typed()
        window = _months_back(m, need_months)
        qualifying = sorted(h for h in eligible.get(m, set()) if all(h in eligible.get(w, set()) for w in window))
        meets = len(qualifying) >= need_workers or (
            share is not None and staff.get(m, 0) > 0 and Decimal(len(qualifying)) / staff[m] >= share
            and len(qualifying) > 0)
        out.append({"month": m, "qualifying_workers": qualifying, "staff": staff.get(m, 0), "meets": meets,
                    "rule": f"≥{need_workers} eligible workers each with bank-verified slips in {need_months}"
                            " consecutive months"
                            + (f" paying at least {yuan(floor)}元 a month" if floor is not None else "")
                            + (f", or ≥{share} of staff" if share is not None else ""),
                    **_params(("workshop.min_poor_workers", "workshop.min_employment_months",
                               "workshop.min_poor_share", "workshop.min_monthly_wage_fen"), month_last_day(m))})
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
    county: str
    organisation: str
    workshop_id: UUID
    month: str
    slip_id: UUID
    gross_fen: int
    hired_on: date
    """Start of the employment record the slip was reported under (the date the award's parameters are read on)."""


@dataclass(frozen=True)
class HiringAward:
    key: UUID
    """``ids.hiring_award_key(county, era, person)``: stable wherever the award lands."""
    month: EligibleMonth
    """The worker-month that completes the window; the award is entitled in its month and workshop."""
    line: Line


HIRING_PARAMETERS = ("subsidy.hiring_award_fen", "subsidy.hiring_min_months", "subsidy.hiring_min_pay_total_fen")


def hiring_award_lines(months: list[EligibleMonth], params_on: Any) -> list[HiringAward]:
    """One-time hiring awards (一次性奖补), to the employer.

    Per person and county, months are walked in order (ties by organisation): a run is the consecutive eligible
    months with one organisation. The award's parameters (amount, months needed, pay needed) are those in force
    on the hire date, the start of the employment record of the run's first month. The first window of
    ``subsidy.hiring_min_months`` months of a run whose gross pay totals ``subsidy.hiring_min_pay_total_fen``
    earns the award, in the month that completes it. At most one award per person, county and era (the era of
    the completing month: 攻坚期 to 2020, 过渡期 from 2021), and months counted towards one award never count
    towards another: after an award every run starts again after its month, so one uninterrupted employment
    across the 2020/2021 boundary cannot earn two awards from overlapping windows.

    Awards count against ``subsidy.hiring_cap_per_workshop_fen`` (in force on the award month's last day) in
    month order, ties by person; past the cap they shrink to zero.
    """
    by_person: dict[tuple[str, str], list[EligibleMonth]] = {}
    for m in months:
        by_person.setdefault((m.county, m.id_hash), []).append(m)
    found: list[tuple[str, EligibleMonth, list[EligibleMonth], dict[str, Any], date]] = []
    for (county, id_hash) in sorted(by_person):
        per_month: dict[tuple[str, str], EligibleMonth] = {}
        for m in sorted(by_person[(county, id_hash)], key=lambda x: (x.month, x.organisation, str(x.workshop_id))):
            per_month.setdefault((m.month, m.organisation), m)
        runs: dict[str, list[EligibleMonth]] = {}
        eras_awarded: set[str] = set()
        consumed_to = ""
        for (month, org), m in sorted(per_month.items()):
            run = runs.get(org, [])
            run = run + [m] if run and _next_month(run[-1].month) == month else [m]
            run = [x for x in run if x.month > consumed_to]
            runs[org] = run
            era = era_of(month)
            if era in eras_awarded:
                continue
            hired_on = run[0].hired_on
            p = params_on(county, hired_on)
            need = p["subsidy.hiring_min_months"].typed()
            window = run[-need:]
            if len(window) == need and sum(x.gross_fen for x in window) >= \
                    p["subsidy.hiring_min_pay_total_fen"].typed():
                found.append((era, m, window, p, hired_on))
                eras_awarded.add(era)
                consumed_to = month
                runs = {}
    found.sort(key=lambda a: (a[1].month, a[1].id_hash, a[1].county))
    used: dict[UUID, int] = {}
    out = []
    for era, m, window, p, hired_on in found:
        amount = p["subsidy.hiring_award_fen"].typed()
        cap_param = params_on(m.county, month_last_day(m.month))["subsidy.hiring_cap_per_workshop_fen"]
        cap = cap_param.typed()
        before = used.get(m.workshop_id, 0)
        granted = max(0, min(amount, cap - before))
        used[m.workshop_id] = before + granted
        pay = sum(x.gross_fen for x in window)
        arithmetic = [f"award {yuan(amount)}元; workshop awards so far {yuan(before)}元 of the {yuan(cap)}元 cap"
                      f" → {yuan(granted)}元"]
        out.append(HiringAward(ids.hiring_award_key(m.county, era, m.id_hash), m, Line(
            "hiring_award", "employer", granted, granted > 0, {
                "month": m.month, "era": era, "hired_on": hired_on.isoformat(),
                "rule": "one-time hiring award: once per worker per county and era, after consecutive eligible "
                        "months with one employer; months count towards one award only",
                "slips": [{"slip_id": str(x.slip_id), "month": x.month, "gross_fen": x.gross_fen} for x in window],
                "checks": [{"code": "consecutive_months", "check": f"{len(window)} consecutive eligible months with {m.organisation}",
                            "passed": True, "detail": f"{window[0].month} to {window[-1].month}"},
                           {"code": "pay_total", "check": "pay over those months", "passed": True,
                            "detail": f"{yuan(pay)}元 ≥ {yuan(p['subsidy.hiring_min_pay_total_fen'].typed())}元"}],
                "parameters": list(HIRING_PARAMETERS) + ["subsidy.hiring_cap_per_workshop_fen"],
                "parameters_on": hired_on.isoformat(),
                "parameters_on_by_name": {"subsidy.hiring_cap_per_workshop_fen": month_last_day(m.month).isoformat()},
                "inputs": {"award_fen": amount, "cap_fen": cap, "awarded_before_fen": before},
                "arithmetic": arithmetic, "amount_fen": granted})))
    return out


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
        checks.append({"code": "registered", "check": "trainee found in the registry (by ID hash)", "passed": t.person is not None,
                       "detail": f"household {t.person.household_number}" if t.person else "not a registry member"})
        if t.person is not None:
            allowed = p["worker.eligible_categories"].typed()
            checks.append({"code": "category_eligible", "check": f"household category on {t.held_on.isoformat()} is eligible",
                           "passed": t.person.category in allowed, "detail": str(t.person.category)})
            age = age_on(t.person.birth_date, t.held_on)
            top = p["worker.max_age_male"].typed() if t.person.sex == "M" else p["worker.max_age_female"].typed()
            checks.append({"code": "age_within_bounds", "check": f"age within {p['worker.min_age'].typed()}–{top}",
                           "passed": p["worker.min_age"].typed() <= age <= top, "detail": f"age {age}"})
        first_this_year = (t.id_hash, t.held_on.year) not in paid_years
        checks.append({"code": "first_training_of_year", "check": f"first subsidised training of {t.held_on.year}", "passed": first_this_year,
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
    checks.append({"code": "workshop_certified", "check": f"workshop certified on {last.isoformat()}", "passed": certified,
                   "detail": cert.describe(last)})
    first = cert.first_certified_on
    if certified and first is not None:
        # The clock runs from the first certification and does not stop during a gap: a workshop that is
        # decertified and certified again does not start a new subsidised period.
        since = (int(month[:4]) - first.year) * 12 + int(month[5:]) - first.month
        checks.append({"code": "rent_months", "check": f"within {months_allowed} months of the first certification",
                       "passed": since < months_allowed,
                       "detail": f"month {since + 1} since first certified on {first.isoformat()}"})
    share = Decimal(eligible_workers) / staff if staff else Decimal(0)
    checks.append({"code": "poor_share", "check": f"eligible poor workers at least {share_needed} of staff", "passed": share >= share_needed,
                   "detail": f"{eligible_workers} of {staff}"})
    checks.append({"code": "costs_evidenced", "check": "costs evidenced", "passed": bool(evidence), "detail": "; ".join(evidence)})
    eligible = all(c["passed"] for c in checks)
    amount = apply_rate(ratio, costs_fen) if eligible else 0
    return Line("rent_utilities", "employer", amount, eligible, {
        "month": month, "rule": "rent & utilities subsidy = ratio × evidenced costs of the month", "checks": checks,
        **_params(("subsidy.rent_ratio", "subsidy.rent_min_poor_share", "subsidy.rent_months"), last),
        "inputs": {"ratio": str(ratio), "costs_fen": costs_fen},
        "arithmetic": [f"{ratio} × {yuan(costs_fen)}元 = {yuan(amount)}元 (half-up to the fen)" if eligible
                       else "not eligible"], "amount_fen": amount})
