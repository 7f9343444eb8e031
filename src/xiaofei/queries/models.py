"""Response shapes of the read side."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec


class MemberView(msgspec.Struct, kw_only=True):
    person_number: str
    name: str
    id_number_masked: str
    sex: str
    birth_year: int
    """The birth year, never the date, whoever reads (officials too): with the mask's first and last four digits
    and the county code, a birth date completes the ID number. An official who needs the number reveals it, on the
    record (``Household.IdNumberRevealed``)."""
    relation: str
    labour_capacity: str
    disability: str | None
    joined_on: date
    left_on: date | None
    left_reason: str | None


class CategoryChangeView(msgspec.Struct, kw_only=True):
    effective_date: date
    category: str
    subtype: str | None
    reason: str
    note: str
    recorded_at: datetime


class OtherIncomeView(msgspec.Struct, kw_only=True):
    year: int
    income_type: str
    amount_fen: int
    note: str


class HouseholdSummary(msgspec.Struct, kw_only=True):
    county: str
    household_number: str
    village_code: str
    category: str
    subtype: str | None
    member_count: int


class HouseholdView(msgspec.Struct, kw_only=True):
    household_id: UUID
    county: str
    household_number: str
    township_code: str
    village_code: str
    category: str
    subtype: str | None
    category_since: date
    causes: list[str]
    member_count: int
    registered_on: date
    source: str
    version: int
    members: list[MemberView]
    category_history: list[CategoryChangeView]
    other_income: list[OtherIncomeView]


class HouseholdPage(msgspec.Struct, kw_only=True):
    items: list[HouseholdSummary]
    next_after: str | None
    """Pass as ``after`` to get the next page; null on the last page."""


class VillageCategoryCount(msgspec.Struct, kw_only=True):
    village_code: str
    category: str
    households: int


class CountyView(msgspec.Struct, kw_only=True):
    code: str
    name: str
    province: str


class HaltedPartition(msgspec.Struct, kw_only=True):
    """A county whose part of the projection stopped at an event it cannot apply (its later events wait)."""

    county: str
    position: int
    topic: str
    error: str
    parked_events: int


class ProjectionStatus(msgspec.Struct, kw_only=True):
    name: str
    position: int
    head: int
    lag: int
    halted: list[HaltedPartition] = []
