"""National views over the reporting database (``xiaofei.national``): every province's counties side by side,
totals by province and for the nation, and the counts of flagged households — read from the dashboard figures the
provinces publish, with the same headline arithmetic as a province's own table."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec

from xiaofei.national import REPLICATION_SQL
from xiaofei.queries import paging
from xiaofei.queries.dashboard import FLAGS, Headline, county_headlines, empty_headline


class NationalCounty(msgspec.Struct, kw_only=True):
    """One county's year, as its province published it."""
    province: Annotated[str, msgspec.Meta(description="2-digit province code", examples=["36"])]
    county: str
    name: str
    year: int
    headline: Headline


class NationalCountyPage(msgspec.Struct, kw_only=True):
    items: list[NationalCounty]
    next_after: str | None


class Replication(msgspec.Struct, kw_only=True):
    """The province's subscription in the reporting database (PostgreSQL logical replication)."""
    subscription: str
    enabled: bool
    last_received_at: Annotated[str | None, msgspec.Meta(
        description="When the reporting database last heard from the province (data or keepalive), ISO 8601")]
    seconds_since: Annotated[float | None, msgspec.Meta(
        description="Seconds since then: the national lag's upper bound for this province")]
    errors: Annotated[int, msgspec.Meta(
        description="Times applying the province's changes (or its first copy) failed: above 0, the reporting "
                    "database's log says why and the province's figures stop where they were")]


class Totals(msgspec.Struct, kw_only=True):
    """Sums over counties of their year's headline figures (fen and counts)."""
    counties: int
    sales_fen: int
    sales_lines: int
    households_reached: int
    attributed_fen: int
    workers_poor: int
    wages_fen: int
    subsidies_entitled_fen: int
    subsidies_claimed_fen: int
    subsidies_paid_fen: int
    households_flagged: dict[str, int]


class ProvinceTotals(msgspec.Struct, kw_only=True):
    province: str
    totals: Totals
    replication: Replication | None
    """None: no subscription of this province (its rows were loaded otherwise, or it was unsubscribed)."""


class NationalTotals(msgspec.Struct, kw_only=True):
    year: int
    nation: Totals
    provinces: list[ProvinceTotals]
    """Every province with a subscription or a county, by code (34 at most: not paged)."""


class FlaggedCounty(msgspec.Struct, kw_only=True):
    """A county's households flagged in the year (counts only: no household leaves its province)."""
    province: str
    county: str
    name: str
    year: int
    below_poverty_line: int
    below_monitoring_threshold: int
    sudden_drop: int


class FlaggedPage(msgspec.Struct, kw_only=True):
    items: list[FlaggedCounty]
    next_after: str | None


COUNTIES_SQL = ("SELECT code, name FROM rm_registry.counties WHERE ($1::text IS NULL OR left(code, 2) = $1)"
                " AND code > $2 ORDER BY code LIMIT $3")


async def counties(pool: asyncpg.Pool, year: int, province: str | None, *, after: str | None = None,
                   limit: int = 100) -> NationalCountyPage:
    key = paging.parse(after, paging.text)
    async with pool.acquire() as conn:
        rows = await conn.fetch(COUNTIES_SQL, province, key[0] if key else "", limit + 1)
        codes = [r["code"] for r in rows]
        heads = await county_headlines(conn, codes, year)
    items = [NationalCounty(province=r["code"][:2], county=r["code"], name=r["name"], year=year,
                            headline=heads.get(r["code"]) or empty_headline()) for r in rows]
    page, next_after = paging.page(items, limit, lambda c: [c.county])
    return NationalCountyPage(items=page, next_after=next_after)


def _sum(heads: list[Headline]) -> Totals:
    return Totals(counties=len(heads), **{f: sum(getattr(h, f) or 0 for h in heads) for f in (
        "sales_fen", "sales_lines", "households_reached", "attributed_fen", "workers_poor", "wages_fen",
        "subsidies_entitled_fen", "subsidies_claimed_fen", "subsidies_paid_fen")},
        households_flagged={f: sum(h.households_flagged.get(f, 0) for h in heads) for f in FLAGS})


async def totals(pool: asyncpg.Pool, year: int) -> NationalTotals:
    async with pool.acquire() as conn:
        codes = [r["code"] for r in await conn.fetch("SELECT code FROM rm_registry.counties ORDER BY code")]
        heads = await county_headlines(conn, codes, year)
        replication = {r["province"]: r for r in await conn.fetch(REPLICATION_SQL)}
    by_province: dict[str, list[Headline]] = {}
    for code in codes:
        by_province.setdefault(code[:2], []).append(heads.get(code) or empty_headline())
    provinces = []
    for p in sorted(set(by_province) | set(replication)):
        r: Any = replication.get(p)
        provinces.append(ProvinceTotals(province=p, totals=_sum(by_province.get(p, [])), replication=Replication(
            subscription=r["subscription"], enabled=r["enabled"],
            last_received_at=r["last_received_at"].isoformat() if r["last_received_at"] else None,
            seconds_since=round(r["seconds_since"], 3) if r["seconds_since"] is not None else None,
            errors=r["errors"])
            if r is not None else None))
    return NationalTotals(year=year, nation=_sum([h for hs in by_province.values() for h in hs]), provinces=provinces)


FLAGGED = "f.area_level = 'county' AND f.area_code = f.county AND f.year = $4 AND f.households > 0"


async def flagged(pool: asyncpg.Pool, year: int, province: str | None, *, after: str | None = None,
                  limit: int = 100) -> FlaggedPage:
    key = paging.parse(after, paging.text)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT c.code, c.name, f.flag, f.households FROM (SELECT code, name FROM rm_registry.counties r"
            " WHERE ($1::text IS NULL OR left(code, 2) = $1) AND code > $2 AND EXISTS (SELECT 1 FROM"
            " rm_dashboard.household_flag_counts f WHERE f.county = r.code AND " + FLAGGED + ")"
            " ORDER BY code LIMIT $3) c JOIN rm_dashboard.household_flag_counts f ON f.county = c.code AND " + FLAGGED +
            " ORDER BY c.code",
            province, key[0] if key else "", limit + 1, year)
    by: dict[str, dict[str, Any]] = {}
    for r in rows:
        by.setdefault(r["code"], {"name": r["name"]})[r["flag"]] = r["households"]
    items = [FlaggedCounty(province=code[:2], county=code, name=v["name"], year=year,
                           **{f: int(v.get(f, 0)) for f in FLAGS}) for code, v in by.items()]
    page, next_after = paging.page(items, limit, lambda c: [c.county])
    return FlaggedPage(items=page, next_after=next_after)
