"""Reads of the household income projection (rm_income): one household's year with its lines, and the county's
households with their per-capita net income and flags."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec

from xiaofei.queries import paging, streaming

S = "rm_income"
CATEGORIES = ("wage", "operating", "property", "transfer")


class IncomeLine(msgspec.Struct, kw_only=True):
    """One event behind a figure."""
    line_key: str
    """``slip:<slip id>``, ``subsidy:<claim id>``, ``payment:<seller>:<reference>`` or ``declared:<year>:<type>``."""
    month: str | None
    """YYYY-MM; null for a yearly declaration."""
    category: str
    """wage (工资性), operating (生产经营性), property (财产性) or transfer (转移性)."""
    kind: str
    amount_fen: int
    cost_fen: int
    """Operating cost deducted (procurement only)."""
    source: dict[str, Any]
    """The event behind the line (slip id and version, claim id and payment reference with the claim lines paid,
    seller and payment reference, or the declaration) and, for a procurement, the cost ratio and its source."""


class CategoryTotal(msgspec.Struct, kw_only=True):
    category: str
    amount_fen: int
    cost_fen: int


class MonthTotal(msgspec.Struct, kw_only=True):
    month: str
    wage_fen: int
    operating_fen: int
    operating_cost_fen: int
    property_fen: int
    transfer_fen: int
    net_fen: int
    members: int


class HouseholdIncomeYear(msgspec.Struct, kw_only=True):
    county: str
    household_number: str
    village_code: str
    year: int
    categories: list[CategoryTotal]
    gross_fen: int
    operating_cost_fen: int
    net_fen: int
    members: int
    """Members registered on some day of the year."""
    per_capita_net_fen: int | None
    """net ÷ members, half-up to the fen (人均纯收入); null without a member."""
    poverty_line_fen: int | None
    threshold_fen: int | None
    flags: list[str]
    flag_evidence: dict[str, dict[str, Any]]
    months: list[MonthTotal]
    lines: list[IncomeLine]
    """This page of the year's lines, by line key."""
    next_after: str | None
    """Cursor for the next page of lines."""


class HouseholdIncomeSummary(msgspec.Struct, kw_only=True):
    household_number: str
    village_code: str
    members: int
    gross_fen: int
    net_fen: int
    per_capita_net_fen: int | None
    flags: list[str]


class HouseholdIncomePage(msgspec.Struct, kw_only=True):
    items: list[HouseholdIncomeSummary]
    next_after: str | None


async def household_year(pool: asyncpg.Pool, county: str, household_number: str, year: int, *,
                         after: str | None, limit: int) -> HouseholdIncomeYear | None:
    y = await pool.fetchrow(f"SELECT * FROM {S}.household_years WHERE county = $1 AND household_number = $2"
                            " AND year = $3", county, household_number, year)
    if y is None:
        return None
    key = paging.parse(after, paging.text)
    rows = await pool.fetch(
        f"SELECT line_key, month, category, kind, amount_fen, cost_fen, source FROM {S}.income_lines"
        " WHERE county = $1 AND household_number = $2 AND year = $3 AND line_key > $4 ORDER BY line_key LIMIT $5",
        county, household_number, year, key[0] if key else "", limit + 1)
    lines, next_after = paging.page([IncomeLine(**{**dict(r), "source": json.loads(r["source"])}) for r in rows], limit,
                                    lambda line: [line.line_key])
    months = await pool.fetch(
        f"SELECT month, wage_fen, operating_fen, operating_cost_fen, property_fen, transfer_fen, net_fen, members"
        f" FROM {S}.household_months WHERE county = $1 AND household_number = $2 AND month LIKE $3 ORDER BY month",
        county, household_number, f"{year:04d}-%")
    flags = await pool.fetch(f"SELECT flag, evidence FROM {S}.flags WHERE county = $1 AND household_number = $2"
                             " AND year = $3 ORDER BY flag", county, household_number, year)
    return HouseholdIncomeYear(
        county=county, household_number=household_number, village_code=y["village_code"], year=year,
        categories=[CategoryTotal(category=c, amount_fen=y[f"{c}_fen"],
                                  cost_fen=y["operating_cost_fen"] if c == "operating" else 0) for c in CATEGORIES],
        gross_fen=y["gross_fen"], operating_cost_fen=y["operating_cost_fen"], net_fen=y["net_fen"],
        members=y["members"], per_capita_net_fen=y["per_capita_net_fen"], poverty_line_fen=y["poverty_line_fen"],
        threshold_fen=y["threshold_fen"], flags=list(y["flags"]),
        flag_evidence={r["flag"]: json.loads(r["evidence"]) for r in flags},
        months=[MonthTotal(**dict(r)) for r in months], lines=lines, next_after=next_after)


async def households(pool: asyncpg.Pool, county: str, year: int, *, flag: str | None, after: str | None,
                     limit: int) -> HouseholdIncomePage:
    key = paging.parse(after, paging.text)
    rows = await pool.fetch(
        f"SELECT household_number, village_code, members, gross_fen, net_fen, per_capita_net_fen, flags"
        f" FROM {S}.household_years WHERE county = $1 AND year = $2 AND ($3::text IS NULL OR $3 = ANY(flags))"
        " AND household_number > $4 ORDER BY household_number LIMIT $5",
        county, year, flag, key[0] if key else "", limit + 1)
    items, next_after = paging.page([HouseholdIncomeSummary(**{**dict(r), "flags": list(r["flags"])}) for r in rows],
                                    limit, lambda h: [h.household_number])
    return HouseholdIncomePage(items=items, next_after=next_after)


def household_rows(pool: asyncpg.Pool, county: str, year: int, *, flag: str | None) -> AsyncIterator[asyncpg.Record]:
    """Every household of the list ``households`` pages through (same filter, same order), for an export."""
    return streaming.rows(
        pool, f"SELECT household_number, village_code, members, gross_fen, operating_cost_fen, net_fen,"
              f" per_capita_net_fen, poverty_line_fen, threshold_fen, flags FROM {S}.household_years"
              " WHERE county = $1 AND year = $2 AND ($3::text IS NULL OR $3 = ANY(flags)) ORDER BY household_number",
        county, year, flag)
