"""Reads of the household income projection (rm_income): one household's year with its lines, the county's
households with their per-capita net income and flags, and the county's summary of a year.

The row-to-answer code (``year_answer``, ``summary_answer``) is shared with the as-of reads
(``application/income_asof.py``), which compute the same tables as of a past log position in temporary tables and
read them with the same SQL (``LINE_SQL``…, ``SUMMARY_SQL`` with the schema left open)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from xiaofei.queries import paging, streaming
from xiaofei.rules.income import FLAGS, per_capita

S = "rm_income"
CATEGORIES = ("wage", "operating", "property", "transfer")


class IncomeLine(msgspec.Struct, kw_only=True):
    """One event behind a figure."""
    line_key: str
    """``slip:<slip id>``, ``subsidy:<claim id>:worker:<payee hash>`` (one line per worker: two workers of a
    household may be paid by one claim), ``payment:<seller>:<reference>`` or ``declared:<year>:<type>``."""
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
    names: dict[str, str] = msgspec.field(default_factory=dict)
    """The names of what the line names by code, as registered now: ``organisation`` (the employer), ``seller``,
    ``product``; a slip's or a subsidy's member is ``source.person_number``."""


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
    """Members as registered on the month's last day (each person in one household)."""


class IncomeAsOf(msgspec.Struct, kw_only=True):
    """Which log position an as-of answer was computed at, and why that one."""
    position: int
    """The answer is what the read model said (or would have said) once it had applied the events up to and including
    this log position: facts recorded later (a slip corrected, an income declared again, a member added) are not in
    it."""
    recorded_at: datetime | None
    """The timestamp of the event at that position (null when that event is not one the projection applied)."""
    asked: str
    """The request's parameter: ``as_of_position=N``, or ``as_of=<time>`` (then the position is the last one whose
    event was recorded at or before that time)."""


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
    """Members as registered on 31 December of the year (家庭人口 at the annual verification), each person in one
    household only (the first by county and household number should the registry hold a person in two)."""
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
    as_of: IncomeAsOf | None = None
    """Set when the read was asked as of a past log position or time; null for the current answer."""


class HouseholdIncomeSummary(msgspec.Struct, kw_only=True):
    household_number: str
    village_code: str
    village_name: str | None
    """The village's name in the county's area list; null when none is recorded."""
    members: int
    gross_fen: int
    net_fen: int
    per_capita_net_fen: int | None
    flags: list[str]


class HouseholdIncomePage(msgspec.Struct, kw_only=True):
    items: list[HouseholdIncomeSummary]
    next_after: str | None


VILLAGE_NAME = "LEFT JOIN rm_registry.areas a ON a.county = y.county AND a.code = y.village_code"
"""The village's name from the registry's area list."""
YEAR_SQL = "SELECT * FROM {s}.household_years WHERE county = $1 AND household_number = $2 AND year = $3"
LINES_SQL = ("SELECT line_key, month, category, kind, amount_fen, cost_fen, source FROM {s}.income_lines"
             " WHERE county = $1 AND household_number = $2 AND year = $3 AND line_key > $4 ORDER BY line_key LIMIT $5")
MONTHS_SQL = ("SELECT month, wage_fen, operating_fen, operating_cost_fen, property_fen, transfer_fen, net_fen, members"
              " FROM {s}.household_months WHERE county = $1 AND household_number = $2 AND month LIKE $3 ORDER BY month")
FLAGS_SQL = ("SELECT flag, evidence FROM {s}.flags WHERE county = $1 AND household_number = $2 AND year = $3"
             " ORDER BY flag")


async def household_year(pool: asyncpg.Pool, county: str, household_number: str, year: int, *,
                         after: str | None, limit: int) -> HouseholdIncomeYear | None:
    y = await pool.fetchrow(YEAR_SQL.format(s=S), county, household_number, year)
    if y is None:
        return None
    key = paging.parse(after, paging.text)
    rows = await pool.fetch(LINES_SQL.format(s=S), county, household_number, year, key[0] if key else "", limit + 1)
    months = await pool.fetch(MONTHS_SQL.format(s=S), county, household_number, f"{year:04d}-%")
    flags = await pool.fetch(FLAGS_SQL.format(s=S), county, household_number, year)
    return year_answer(dict(y), [{**dict(r), "source": json.loads(r["source"])} for r in rows],
                       [dict(r) for r in months], {r["flag"]: json.loads(r["evidence"]) for r in flags}, limit)


def year_answer(y: dict[str, Any], lines: list[dict[str, Any]], months: list[dict[str, Any]],
                flags: dict[str, dict[str, Any]], limit: int, as_of: IncomeAsOf | None = None) -> HouseholdIncomeYear:
    """The answer from a ``household_years`` row, up to ``limit`` + 1 of its lines after the cursor (in key order),
    its months and its flags' evidence."""
    page, next_after = paging.page([IncomeLine(**r) for r in lines], limit, lambda line: [line.line_key])
    return HouseholdIncomeYear(
        county=y["county"], household_number=y["household_number"], village_code=y["village_code"], year=y["year"],
        categories=[CategoryTotal(category=c, amount_fen=y[f"{c}_fen"],
                                  cost_fen=y["operating_cost_fen"] if c == "operating" else 0) for c in CATEGORIES],
        gross_fen=y["gross_fen"], operating_cost_fen=y["operating_cost_fen"], net_fen=y["net_fen"],
        members=y["members"], per_capita_net_fen=y["per_capita_net_fen"], poverty_line_fen=y["poverty_line_fen"],
        threshold_fen=y["threshold_fen"], flags=list(y["flags"]), flag_evidence=flags,
        months=[MonthTotal(**r) for r in months], lines=page, next_after=next_after, as_of=as_of)


async def households(pool: asyncpg.Pool, county: str, year: int, *, flag: str | None, after: str | None,
                     limit: int) -> HouseholdIncomePage:
    key = paging.parse(after, paging.text)
    rows = await pool.fetch(
        f"SELECT household_number, village_code, a.name AS village_name, members, gross_fen, net_fen,"
        f" per_capita_net_fen, flags FROM {S}.household_years y {VILLAGE_NAME}"
        " WHERE y.county = $1 AND year = $2 AND ($3::text IS NULL OR $3 = ANY(flags))"
        " AND household_number > $4 ORDER BY household_number LIMIT $5",
        county, year, flag, key[0] if key else "", limit + 1)
    items, next_after = paging.page([HouseholdIncomeSummary(**{**dict(r), "flags": list(r["flags"])}) for r in rows],
                                    limit, lambda h: [h.household_number])
    return HouseholdIncomePage(items=items, next_after=next_after)


class IncomeFlagCount(msgspec.Struct, kw_only=True):
    flag: str
    households: int


class IncomeSummary(msgspec.Struct, kw_only=True):
    """The county's households of a year, summed (收入核算汇总)."""
    county: str
    year: int
    households: int
    """Households with a year row: every registered household from its registration year up to the current year
    (zero income included), and any other year an income of it is dated in."""
    members: int
    """Their members as registered on 31 December, summed: each person counts once."""
    categories: list[CategoryTotal]
    gross_fen: int
    operating_cost_fen: int
    net_fen: int
    per_capita_net_fen: int | None
    """The county's per-capita net income: the net income of the households with members ÷ their members, half-up
    to the fen (each person counts once, as a statistics office's 人均 does); null without members."""
    median_per_capita_net_fen: int | None
    """The middle household's per-capita net income (the mean of the two middle ones for an even count, half-up):
    half the households have less, whatever a few large incomes do to the mean."""
    flags: list[IncomeFlagCount]
    """Households carrying each flag (every flag listed, with 0 when none)."""
    poverty_line_fen: int | None
    threshold_fen: int | None
    """``monitoring.poverty_line_fen`` / ``monitoring.threshold_fen`` in force on 31 December for the county, as
    its year rows carry them (null when the province set none, or no household has a row)."""
    as_of: IncomeAsOf | None = None


SUMMARY_SQL = (
    "SELECT count(*) AS households, coalesce(sum(members), 0) AS members,"
    " coalesce(sum(wage_fen), 0) AS wage_fen, coalesce(sum(operating_fen), 0) AS operating_fen,"
    " coalesce(sum(operating_cost_fen), 0) AS operating_cost_fen, coalesce(sum(property_fen), 0) AS property_fen,"
    " coalesce(sum(transfer_fen), 0) AS transfer_fen, coalesce(sum(gross_fen), 0) AS gross_fen,"
    " coalesce(sum(net_fen), 0) AS net_fen,"
    " coalesce(sum(net_fen) FILTER (WHERE members > 0), 0) AS net_with_members_fen,"
    " percentile_disc(0.5) WITHIN GROUP (ORDER BY per_capita_net_fen) AS lower_median,"
    " percentile_disc(0.5) WITHIN GROUP (ORDER BY per_capita_net_fen DESC) AS upper_median,"
    " max(poverty_line_fen) AS poverty_line_fen, max(threshold_fen) AS threshold_fen, "
    + ", ".join(f"count(*) FILTER (WHERE '{f}' = ANY(flags)) AS \"{f}\"" for f in FLAGS)
    + " FROM {s}.household_years WHERE county = $1 AND year = $2")


async def summary(pool: asyncpg.Pool, county: str, year: int) -> IncomeSummary:
    return summary_answer(county, year, dict(await pool.fetchrow(SUMMARY_SQL.format(s=S), county, year)))


def summary_answer(county: str, year: int, r: dict[str, Any], as_of: IncomeAsOf | None = None) -> IncomeSummary:
    middle = (None if r["lower_median"] is None
              else per_capita(int(r["lower_median"]) + int(r["upper_median"]), 2))
    return IncomeSummary(
        county=county, year=year, households=r["households"], members=int(r["members"]),
        categories=[CategoryTotal(category=c, amount_fen=int(r[f"{c}_fen"]),
                                  cost_fen=int(r["operating_cost_fen"]) if c == "operating" else 0)
                    for c in CATEGORIES],
        gross_fen=int(r["gross_fen"]), operating_cost_fen=int(r["operating_cost_fen"]), net_fen=int(r["net_fen"]),
        per_capita_net_fen=per_capita(int(r["net_with_members_fen"]), int(r["members"])),
        median_per_capita_net_fen=middle, flags=[IncomeFlagCount(flag=f, households=r[f]) for f in FLAGS],
        poverty_line_fen=r["poverty_line_fen"], threshold_fen=r["threshold_fen"], as_of=as_of)


def household_rows(pool: asyncpg.Pool, county: str, year: int, *, flag: str | None) -> AsyncIterator[asyncpg.Record]:
    """Every household of the list ``households`` pages through (same filter, same order), for an export."""
    return streaming.rows(
        pool, f"SELECT household_number, village_code, a.name AS village_name, members, gross_fen,"
              f" operating_cost_fen, net_fen, per_capita_net_fen, poverty_line_fen, threshold_fen, flags"
              f" FROM {S}.household_years y {VILLAGE_NAME}"
              " WHERE y.county = $1 AND year = $2 AND ($3::text IS NULL OR $3 = ANY(flags)) ORDER BY household_number",
        county, year, flag)


async def name_lines(pool: asyncpg.Pool, lines: list[IncomeLine]) -> None:
    """Fill each line's ``names`` from the registered organisations, sellers and products (one query each)."""
    codes = {ln.source.get("organisation") for ln in lines} | {ln.source.get("seller") for ln in lines}
    products = {ln.source.get("product_id") for ln in lines}
    codes.discard(None)
    products.discard(None)
    if not codes and not products:
        return
    organisations = {r["credit_code"]: r["name"] for r in await pool.fetch(
        "SELECT credit_code, name FROM rm_employment.organisations WHERE credit_code = ANY($1::text[])"
        " UNION SELECT credit_code, name FROM rm_consumption.sellers WHERE credit_code = ANY($1::text[])",
        sorted(codes))} if codes else {}
    named_products = {str(r["product_id"]): r["name"] for r in await pool.fetch(
        "SELECT product_id, name FROM rm_consumption.products WHERE product_id::text = ANY($1::text[])",
        sorted(products))} if products else {}
    for ln in lines:
        names = {}
        for field in ("organisation", "seller"):
            code = ln.source.get(field)
            if code in organisations:
                names[field] = organisations[code]
        if ln.source.get("product_id") in named_products:
            names["product"] = named_products[ln.source["product_id"]]
        ln.names = names
