"""Bodies and answers of the employment what-if (``POST /counties/{county}/what-if``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec

from xiaofei.http.schemas import Month, Text


class OverrideIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    value: Annotated[str, msgspec.Meta(max_length=200)]
    effective_from: date
    effective_to: date | None = None


class WhatIfRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    period_from: Month
    period_to: Month
    overrides: Annotated[list[OverrideIn], msgspec.Meta(min_length=1, max_length=50)]


class EmployerDifferenceView(msgspec.Struct, kw_only=True):
    organisation: str
    current_fen: int
    candidate_fen: int
    difference_fen: int
    lines_changed: int


class SubsidyDifferenceView(msgspec.Struct, kw_only=True):
    subsidy: str
    current_fen: int
    candidate_fen: int
    difference_fen: int


class HouseholdDifferenceView(msgspec.Struct, kw_only=True):
    """One household-year of the county (a year of the period) whose income, per-capita income, threshold or
    flags the candidate parameters change. Its income is recomputed by the income projection's own code under
    the candidates (cost ratios, lines, the sudden-drop percentage, revenue-share parameters), plus the worker
    wage subsidy entitlement change of its members' lines (payee ``worker``; a claim pays them to
    ``worker:<id hash>``), counted as if paid, in the year of the entitlement's month, for the household the
    worker belonged to on that month's last day."""
    county: str
    household_number: str
    year: int
    members: int
    current_net_fen: int
    """The year's net income in the income read model now (subsidies counted when paid)."""
    net_change_fen: int
    """Candidate net − current net: operating costs under candidate cost ratios, revenue shares under candidate
    rates, and the worker wage subsidy change."""
    current_per_capita_net_fen: int | None
    candidate_per_capita_net_fen: int | None
    """(current net + change) ÷ the same members, half-up; null without members."""
    per_capita_change_fen: int | None
    threshold_fen: int | None
    """``monitoring.threshold_fen`` in force on 31 December of the year now (null when none is set)."""
    candidate_threshold_fen: int | None
    """The same under the candidate parameters."""
    current_flags: list[str]
    candidate_flags: list[str]
    """The year's flags now and under the candidates (below a line judged on the candidate per-capita income)."""
    crosses_threshold: Literal["up", "down"] | None
    """"up": from below the current threshold to at or above the candidate one; "down": the reverse; null
    otherwise."""


class WhatIfView(msgspec.Struct, kw_only=True):
    """Entitlements of the county's months in the period, now and under the candidate parameters: the county
    total, by subsidy (worker wage, employer match, hiring award, training, rent & utilities) and by employer."""

    county: str
    period_from: str
    period_to: str
    current_fen: int
    candidate_fen: int
    difference_fen: int
    lines_changed: int
    by_subsidy: list[SubsidyDifferenceView]
    employers: list[EmployerDifferenceView]
    households: list[HouseholdDifferenceView]
    """The county's household-years of the period whose income, per-capita income, threshold or flags the
    candidate parameters change, by household number and year (officials and auditors of the county are the only
    callers)."""
    households_elsewhere: int
    """Households of other counties (workers living elsewhere) whose income changes too; not named here."""
