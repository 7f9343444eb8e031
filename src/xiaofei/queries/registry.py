"""Registry queries."""

from __future__ import annotations

import asyncpg
import msgspec

from xiaofei.queries.models import (
    CategoryChangeView,
    CountyView,
    HouseholdPage,
    HouseholdSummary,
    HouseholdView,
    MemberView,
    OtherIncomeView,
    VillageCategoryCount,
)

S = "rm_registry"


async def household(pool: asyncpg.Pool, county: str, number: str) -> HouseholdView | None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(f"SELECT * FROM {S}.households WHERE county = $1 AND household_number = $2",
                                  county, number)
        if row is None:
            return None
        members = await conn.fetch(
            f"SELECT * FROM {S}.members WHERE county = $1 AND household_number = $2 ORDER BY person_number",
            county, number)
        history = await conn.fetch(
            f"SELECT * FROM {S}.category_history WHERE county = $1 AND household_number = $2 ORDER BY version",
            county, number)
        income = await conn.fetch(
            f"SELECT * FROM {S}.other_income WHERE county = $1 AND household_number = $2 "
            "ORDER BY year, income_type", county, number)
    return HouseholdView(
        household_id=row["household_id"], county=row["county"], household_number=row["household_number"],
        township_code=row["township_code"], village_code=row["village_code"], category=row["category"],
        subtype=row["subtype"], category_since=row["category_since"], causes=list(row["causes"]),
        member_count=row["member_count"], registered_on=row["registered_on"], source=row["source"],
        version=row["version"],
        members=[MemberView(
            person_number=m["person_number"], name=m["name"], id_number_masked=m["id_masked"], sex=m["sex"],
            birth_year=m["birth_date"].year,
            relation=m["relation"], labour_capacity=m["labour_capacity"],
            disability=m["disability"], joined_on=m["joined_on"], left_on=m["left_on"],
            left_reason=m["left_reason"]) for m in members],
        category_history=[CategoryChangeView(
            effective_date=h["effective_date"], category=h["category"], subtype=h["subtype"], reason=h["reason"],
            note=h["note"], recorded_at=h["recorded_at"]) for h in history],
        other_income=[OtherIncomeView(year=i["year"], income_type=i["income_type"], amount_fen=i["amount_fen"],
                                      note=i["note"]) for i in income],
    )


async def village_households(pool: asyncpg.Pool, county: str, village: str, after: str | None, limit: int) -> HouseholdPage:
    rows = await pool.fetch(
        f"SELECT county, household_number, village_code, category, subtype, member_count FROM {S}.households "
        "WHERE county = $1 AND village_code = $2 AND household_number > $3 ORDER BY household_number LIMIT $4",
        county, village, after or "", limit + 1)
    items = [HouseholdSummary(**dict(r)) for r in rows[:limit]]
    return HouseholdPage(items=items, next_after=items[-1].household_number if len(rows) > limit else None)


async def category_counts(pool: asyncpg.Pool, county: str, village: str | None) -> list[VillageCategoryCount]:
    rows = await pool.fetch(
        f"SELECT village_code, category, households FROM {S}.village_category_counts "
        "WHERE county = $1 AND ($2::text IS NULL OR village_code = $2) "
        "ORDER BY village_code, category", county, village)
    return [VillageCategoryCount(**dict(r)) for r in rows]


async def counties(pool: asyncpg.Pool, codes: list[str] | None) -> list[CountyView]:
    rows = await pool.fetch(
        f"SELECT code, name, province FROM {S}.counties WHERE $1::text[] IS NULL OR code = ANY($1) ORDER BY code",
        codes)
    return [CountyView(**dict(r)) for r in rows]


class AreaView(msgspec.Struct, kw_only=True):
    code: str
    level: str
    """``township`` (9-digit code) or ``village`` (12-digit code)."""
    name: str


async def areas(pool: asyncpg.Pool, county: str) -> list[AreaView]:
    rows = await pool.fetch(f"SELECT code, level, name FROM {S}.areas WHERE county = $1 ORDER BY code", county)
    return [AreaView(**dict(r)) for r in rows]
