"""Policy parameters (DOMAIN §5): the catalogue, named presets, and the lookup rule.

Every numeric rule is a parameter, never a constant in code. A parameter version has a scope (national,
province ``xx0000``, city ``xxxx00`` or county ``xxxxxx``), ``effective_from``, an optional inclusive
``effective_to``, a source and an era. The value in force for a county on a date is the version from the most
specific scope that covers the date; within one scope, the one recorded last wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from xiaofei.domain.errors import invalid

ERAS = ("campaign", "transition")  # 攻坚期 2013–2020 / 过渡期 2021–


@dataclass(frozen=True)
class ParameterDef:
    name: str
    kind: str  # int | fen | decimal | categories | optional-int | optional-fen | optional-decimal
    default: str
    default_source: str
    description: str


def _p(name: str, kind: str, default: str, source: str, description: str) -> ParameterDef:
    return ParameterDef(name, kind, default, source, description)


CATALOGUE: dict[str, ParameterDef] = {p.name: p for p in (
    _p("workshop.min_poor_workers", "int", "10", "seed 001 (上犹县)",
       "eligible poor workers needed for certification (扶贫车间认定)"),
    _p("workshop.min_employment_months", "int", "3", "seed 001 (上犹县)",
       "consecutive months each of those workers must have been employed"),
    _p("workshop.min_poor_share", "optional-decimal", "", "甘肃 2018 (alternative route, off by default)",
       "alternatively, eligible poor workers as a share of all staff (OR with the count)"),
    _p("workshop.min_monthly_wage_fen", "optional-fen", "", "吉林 2018 (local minimum wage; off by default)",
       "a qualifying worker-month needs at least this gross pay"),
    _p("subsidy.worker_wage_rate", "decimal", "0.20", "seed 001 (上犹县: 600元 → 120元)",
       "worker wage subsidy (工资补贴) as a share of a verified slip's gross pay"),
    _p("subsidy.worker_wage_cap_fen", "optional-fen", "", "seed 001 (no cap stated)",
       "monthly cap on the worker wage subsidy"),
    _p("subsidy.worker_min_days", "optional-int", "", "seed 001 (none stated)",
       "a slip must show at least this many days worked"),
    _p("subsidy.worker_wage_floor_fen", "optional-fen", "", "seed 001 (none stated)",
       "a slip's gross pay must reach this for any wage subsidy"),
    _p("subsidy.employer_match_ratio", "decimal", "1.0", "seed 001 (上犹县: equal matching subsidy)",
       "employer matching subsidy as a multiple of the worker subsidy"),
    _p("subsidy.hiring_award_fen", "fen", "100000", "吉林 2018 (1,000元/人)", "one-time hiring award (一次性奖补)"),
    _p("subsidy.hiring_min_months", "int", "6", "吉林 2018", "consecutive verified months with one employer"),
    _p("subsidy.hiring_min_pay_total_fen", "fen", "600000", "DOMAIN §4.3 default (6,000元)",
       "total gross pay over those months"),
    _p("subsidy.hiring_cap_per_workshop_fen", "fen", "5000000", "吉林 2018 (5万元 per workshop)",
       "cap on hiring awards per workshop"),
    _p("subsidy.training_fen", "fen", "30000", "seed 001 (大余县: 300元 per trainee)",
       "training subsidy (培训补贴) per eligible trainee, once per person per year"),
    _p("subsidy.rent_ratio", "decimal", "0.5", "社区工厂 rule (DOMAIN §4.3)", "share of evidenced rent & utilities"),
    _p("subsidy.rent_min_poor_share", "decimal", "0.3333", "社区工厂 rule (1/3 of staff)",
       "poor workers' share of staff needed for the rent subsidy"),
    _p("subsidy.rent_months", "int", "24", "社区工厂 rule", "months after certification the rent subsidy runs"),
    _p("worker.eligible_categories", "categories", "poor,exited,monitored", "DOMAIN §4.3 (过渡期)",
       "household categories whose members count as eligible workers"),
    _p("worker.min_age", "int", "16", "吉林 2018", "youngest eligible age on the month's first day"),
    _p("worker.max_age_male", "int", "60", "吉林 2018", "oldest eligible age for men"),
    _p("worker.max_age_female", "int", "55", "吉林 2018", "oldest eligible age for women"),
    _p("claim.notice_days", "int", "7", "DOMAIN §3.1 (公示 7 days)", "public notice days before approval"),
    _p("bank.match_window_days", "int", "3", "DOMAIN §4.2", "payee + amount matching tolerance in days"),
)}


UPPER_BOUNDS = {"workshop.min_employment_months": 12, "subsidy.hiring_min_months": 36}
"""Limits the read side relies on (e.g. how far back a change can reach certification windows)."""


@lru_cache(maxsize=4096)
def parse_value(name: str, text: str) -> Any:
    """The typed value of a parameter version, or ``InvalidInput`` naming what is wrong."""
    definition = CATALOGUE.get(name)
    if definition is None:
        raise invalid("name", f"unknown parameter {name!r}")
    kind = definition.kind
    text = text.strip()
    if kind.startswith("optional-"):
        if text == "":
            return None
        kind = kind.removeprefix("optional-")
    try:
        if kind in ("int", "fen"):
            value = int(text)
            if value < 0 or value > UPPER_BOUNDS.get(name, value):
                raise ValueError
            return value
        if kind == "decimal":
            number = Decimal(text)
            if not number.is_finite() or number < 0:
                raise InvalidOperation
            return number
        if kind == "categories":
            values = tuple(v.strip() for v in text.split(",") if v.strip())
            allowed = {"poor", "exited", "monitored", "ordinary"}
            if not values or not set(values) <= allowed:
                raise ValueError
            return values
    except (ValueError, InvalidOperation):
        raise invalid("value", f"{text!r} is not a valid {definition.kind} for {name}") from None
    raise AssertionError(kind)


@dataclass(frozen=True)
class ParameterVersion:
    name: str
    value: str
    scope: str  # "national", or a 6-digit code: xx0000 province, xxxx00 city, xxxxxx county
    effective_from: date
    effective_to: date | None
    source: str
    era: str
    seq: int  # order recorded within its scope; built-in defaults are 0

    def covers(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def typed(self) -> Any:
        return parse_value(self.name, self.value)


def scope_chain(county: str) -> list[str]:
    """Most specific first: county, city, province, national."""
    chain = [county]
    if county[4:] != "00":
        chain.append(county[:4] + "00")
    if county[2:] != "0000":
        chain.append(county[:2] + "0000")
    chain.append("national")
    return list(dict.fromkeys(chain))


def builtin_defaults() -> list[ParameterVersion]:
    return [ParameterVersion(p.name, p.default, "national", date(2013, 1, 1), None,
                             f"built-in default: {p.default_source}", "campaign", 0) for p in CATALOGUE.values()]


def in_force(versions: list[ParameterVersion], name: str, county: str, on: date) -> ParameterVersion:
    """The version of ``name`` in force for ``county`` on ``on`` (built-in default when nothing recorded)."""
    chain = scope_chain(county)
    best: ParameterVersion | None = None
    best_rank = len(chain)
    for v in versions:
        if v.name != name or v.scope not in chain or not v.covers(on):
            continue
        rank = chain.index(v.scope)
        if rank < best_rank or (rank == best_rank and best is not None and v.seq > best.seq):
            best, best_rank = v, rank
    if best is None:
        for d in builtin_defaults():
            if d.name == name:
                return d
        raise KeyError(name)
    return best


def all_in_force(versions: list[ParameterVersion], county: str, on: date) -> dict[str, ParameterVersion]:
    return {name: in_force(versions, name, county, on) for name in CATALOGUE}


# -- presets ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    source: str
    era: str
    effective_from: date
    effective_to: date | None
    values: dict[str, str]


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("shangyou-2017", "上犹县 就业扶贫福利厂", "seed 001 (上犹县, 赣州; 大余县 training 300元)", "campaign",
           date(2017, 1, 1), None, {
               "workshop.min_poor_workers": "10",
               "workshop.min_employment_months": "3",
               "subsidy.worker_wage_rate": "0.20",
               "subsidy.employer_match_ratio": "1.0",
               "subsidy.training_fen": "30000",
               "worker.eligible_categories": "poor,exited,monitored",
           }),
    Preset("jilin-2018", "吉林 扶贫车间 (吉人社联字[2018]20号)", "吉林 HRSS 2018, valid 2018-01-01..2020-12-31",
           "campaign", date(2018, 1, 1), date(2020, 12, 31), {
               "workshop.min_poor_workers": "5",
               "workshop.min_employment_months": "6",
               "subsidy.hiring_award_fen": "100000",
               "subsidy.hiring_min_months": "6",
               "subsidy.hiring_cap_per_workshop_fen": "5000000",
               "worker.eligible_categories": "poor",
               "worker.min_age": "16",
               "worker.max_age_male": "60",
               "worker.max_age_female": "55",
           }),
    Preset("gansu-2018", "甘肃 扶贫车间 (新华社 2018-08)", "甘肃 2018: ≥10 workers OR ≥20% of staff, ≥6 months",
           "campaign", date(2018, 8, 1), None, {
               "workshop.min_poor_workers": "10",
               "workshop.min_poor_share": "0.20",
               "workshop.min_employment_months": "6",
           }),
)}
