"""The facts entitlement rules read (slips, certification periods, registry membership), the line they
produce, and how an explanation names its parameters and months."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from xiaofei.domain.employment import month_bounds
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


def params_reference(names: Sequence[str], on: date) -> dict[str, Any]:
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


def months_before(month: str, count: int) -> str:
    """The month ``count`` months before ``month``."""
    return months_back(month, count + 1)[-1]


def months_back(month: str, count: int) -> list[str]:
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


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + (mon == 12):04d}-{mon % 12 + 1:02d}"
