"""One-time hiring awards (一次性奖补)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from xiaofei.domain import ids
from xiaofei.rules.entitlements.facts import Line, era_of, month_last_day, next_month
from xiaofei.rules.money import yuan


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
        # one organisation-month may hold slips of several of its workshops: all their pay counts
        per_month: dict[tuple[str, str], list[EligibleMonth]] = {}
        for m in sorted(by_person[(county, id_hash)], key=lambda x: (x.month, x.organisation, str(x.workshop_id))):
            per_month.setdefault((m.month, m.organisation), []).append(m)
        runs: dict[str, list[EligibleMonth]] = {}
        eras_awarded: set[str] = set()
        consumed_to = ""
        for (month, org), slips in sorted(per_month.items()):
            m = slips[0]
            run = runs.get(org, [])
            run = run + [m] if run and next_month(run[-1].month) == month else [m]
            run = [x for x in run if x.month > consumed_to]
            runs[org] = run
            era = era_of(month)
            if era in eras_awarded:
                continue
            hired_on = run[0].hired_on
            p = params_on(county, hired_on)
            need = p["subsidy.hiring_min_months"].typed()
            window = run[-need:]
            window_slips = [x for w in window for x in per_month[(w.month, org)]]
            if len(window) == need and sum(x.gross_fen for x in window_slips) >= \
                    p["subsidy.hiring_min_pay_total_fen"].typed():
                found.append((era, m, window_slips, p, hired_on))
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
                "checks": [{"code": "consecutive_months",
                            "check": f"{len({x.month for x in window})} consecutive eligible months with "
                                     f"{m.organisation}",
                            "passed": True, "detail": f"{window[0].month} to {window[-1].month}"},
                           {"code": "pay_total", "check": "pay over those months", "passed": True,
                            "detail": f"{yuan(pay)}元 ≥ {yuan(p['subsidy.hiring_min_pay_total_fen'].typed())}元"}],
                "parameters": list(HIRING_PARAMETERS) + ["subsidy.hiring_cap_per_workshop_fen"],
                "parameters_on": hired_on.isoformat(),
                "parameters_on_by_name": {"subsidy.hiring_cap_per_workshop_fen": month_last_day(m.month).isoformat()},
                "inputs": {"award_fen": amount, "cap_fen": cap, "awarded_before_fen": before},
                "arithmetic": arithmetic, "amount_fen": granted})))
    return out
