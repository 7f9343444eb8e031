"""Reads of the county dashboard (县级看板, rm_dashboard): a county's (or one township's, one village's) year —
headline figures and months —, the table of its townships or villages, and a province's counties side by side.
Sums and counts only: nothing here names a household or a person."""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
import msgspec

from xiaofei.queries import paging, status
from xiaofei.rules.money import ratio

S = "rm_dashboard"
DIMENSIONS = ("category", "buyer_type", "tag", "channel")
FLAGS = ("below_poverty_line", "below_monitoring_threshold", "sudden_drop")


class DashboardMonth(msgspec.Struct, kw_only=True):
    """One month of an area. Stocks (certified, reporting) are on the month's last day; money is of the month."""
    month: str
    certified_sellers: int | None
    """County level only (a seller has no village)."""
    certified_products: int
    sales_fen: int
    """Recognised sales (统计口径): certified product and seller on the sale's day, refunds in the month recorded."""
    sales_lines: int
    households_reached: int
    attributed_fen: int
    """Money reaching households through benefit linkage (利益联结): revenue shares accrued, procurement, rent and
    dividends paid."""
    workshops_reporting: int
    workshops_certified: int
    workshops_eligible: int
    workers_total: int
    workers_poor: int
    wages_fen: int
    slips: int
    average_wage_fen: int | None
    subsidies_entitled_fen: int
    subsidies_claimed_fen: int
    subsidies_paid_fen: int | None
    """County level only (a payment names its payee, not a workshop)."""


class Breakdown(msgspec.Struct, kw_only=True):
    key: str
    sales_fen: int
    sales_lines: int


class SalesBreakdown(msgspec.Struct, kw_only=True):
    category: list[Breakdown]
    buyer_type: list[Breakdown]
    tag: list[Breakdown]
    """``east_west`` (东西部协作), ``designated`` (定点帮扶) or ``none``."""
    channel: list[Breakdown]


class ReservedShare(msgspec.Struct, kw_only=True):
    budget_units: int
    filed: int
    exempt: int
    reserved_fen: int
    purchased_fen: int
    progress: str | None
    """purchased ÷ reserved, 4 decimals; null when nothing is reserved."""
    units_reached: int


class OpenFlag(msgspec.Struct, kw_only=True):
    source: str
    kind: str
    open: int


class IncomeBands(msgspec.Struct, kw_only=True):
    households: int
    members: int
    net_fen: int
    below_poverty_line: int
    below_monitoring_threshold: int
    """At or above the poverty line (or none set) and under the monitoring threshold."""
    above_threshold: int
    no_member: int


class Headline(msgspec.Struct, kw_only=True):
    """The year's figures: money summed over its months; stocks on the last month's last day."""
    as_of_month: str | None
    certified_sellers: int | None
    certified_products: int
    sales_fen: int
    sales_lines: int
    households_reached: int
    """Distinct households with money attributed in the year."""
    attributed_fen: int
    workshops_reporting: int
    workshops_certified: int
    workshops_eligible: int
    workers_total: int
    workers_poor: int
    wages_fen: int
    average_wage_fen: int | None
    """The year's wages ÷ its slips, half-up."""
    subsidies_entitled_fen: int
    subsidies_claimed_fen: int
    subsidies_paid_fen: int | None
    subsidies_recovered_fen: int | None
    """Recovered so far (追回, every year; county level only)."""
    households_flagged: dict[str, int]


class Dashboard(msgspec.Struct, kw_only=True):
    county: str
    area_level: str
    """``county``, ``township`` or ``village``."""
    area_code: str
    year: int
    headline: Headline
    months: list[DashboardMonth]
    sales: SalesBreakdown
    income: IncomeBands | None
    reserved_share: ReservedShare | None
    """County level only."""
    open_flags: list[OpenFlag]
    """County level only: integrity flags open now (employment and consumption)."""


class AreaRow(msgspec.Struct, kw_only=True):
    """One township's (or village's, or county's) year in a table of areas."""
    county: str
    area_level: str
    area_code: str
    area_name: str | None = None
    """The township's or village's name (the county's area list, or the household import's name columns), the
    county's name in a province's table; null when none is recorded."""
    year: int
    headline: Headline
    halted: Annotated[list[str], msgspec.Meta(
        description="The read models (projection names) whose part for this county is halted at an event they "
                    "cannot apply: its figures may be behind (GET /projections names the event). Only a province's "
                    "table shows it: a county's own reads answer 503 instead.",
        examples=[["employment"]])] = msgspec.field(default_factory=list)


async def with_halted(pool: asyncpg.Pool, page: AreaPage, projections: tuple[str, ...]) -> AreaPage:
    """``page`` with each county's halted read models (read fresh: a kept page is never changed)."""
    halted = await status.halted_by_county(pool, projections, sorted({r.county for r in page.items}))
    if not halted:
        return page
    return AreaPage(items=[msgspec.structs.replace(r, halted=halted.get(r.county, [])) for r in page.items],
                    next_after=page.next_after)


class AreaPage(msgspec.Struct, kw_only=True):
    items: list[AreaRow]
    next_after: str | None


MONTH_COLUMNS = [f for f in DashboardMonth.__struct_fields__]


def _level(county: str, area: str | None) -> tuple[str, str]:
    if area is None or area == county:
        return "county", county
    return ("township" if len(area) == 9 else "village"), area


AREA_FILTER = ("county = ANY($1::text[]) AND ($2::text IS NULL OR area_level = $2)"
               " AND ($3::text[] IS NULL OR area_code = ANY($3::text[]))")
HEADLINE_PARTS = {
    "months": f"SELECT coalesce(json_agg(t ORDER BY t.month), '[]') FROM {S}.area_months t WHERE {AREA_FILTER}"
              " AND t.month LIKE $4::text || '-%'",
    "reach": f"SELECT coalesce(json_agg(t), '[]') FROM {S}.reach_years t WHERE {AREA_FILTER} AND t.year = $4::text::int",
    "flagged": f"SELECT coalesce(json_agg(t), '[]') FROM {S}.household_flag_counts t WHERE {AREA_FILTER}"
               " AND t.year = $4::text::int",
    "recovered": f"SELECT coalesce(json_agg(t), '[]') FROM {S}.county_totals t WHERE county = ANY($1::text[])",
}


async def _parts(conn: Any, parts: dict[str, str], *args: Any) -> dict[str, Any]:
    """Several reads in one round trip: each part a scalar subquery giving JSON, decoded here (a dashboard read
    cost a round trip per table, more than the reads themselves)."""
    row = await conn.fetchrow("SELECT " + ", ".join(f"({q}) AS {name}" for name, q in parts.items()), *args)
    return {name: msgspec.json.decode(row[name]) if row[name] is not None else None for name in parts}


async def _headlines(conn: Any, county_codes: list[str], level: str | None, areas: list[str] | None,
                     year: int, fetched: dict[str, Any] | None = None) -> dict[tuple[str, str], Headline]:
    """Headlines of many areas in one round trip (a table of townships must not cost a query per row);
    ``fetched``: the parts read already with others."""
    got = fetched or await _parts(conn, HEADLINE_PARTS, county_codes, level, areas, str(year))
    months = got["months"]
    reach = {(r["county"], r["area_code"]): r for r in got["reach"]}
    flagged: dict[tuple[str, str], dict[str, int]] = {}
    for r in got["flagged"]:
        flagged.setdefault((r["county"], r["area_code"]), {})[r["flag"]] = r["households"]
    recovered = {r["county"]: r["recoveries_settled_fen"] for r in got["recovered"]}
    by_area: dict[tuple[str, str], list[Any]] = {}
    for m in months:
        by_area.setdefault((m["county"], m["area_code"]), []).append(m)
    keys = {(c, a) for c in county_codes for a in (areas or [])} if level == "county" and areas else set()
    keys |= set(by_area) | set(reach) | set(flagged)
    out = {}
    for key in keys:
        rows = by_area.get(key, [])
        last = rows[-1] if rows else None
        county_level = key[0] == key[1]
        total = {f: sum(r[f] for r in rows) for f in ("sales_fen", "sales_lines", "wages_fen", "slips",
                                                      "subsidies_entitled_fen", "subsidies_claimed_fen")}
        paid = sum(r["subsidies_paid_fen"] or 0 for r in rows) if county_level else None
        r = reach.get(key)
        out[key] = Headline(
            as_of_month=last["month"] if last else None,
            certified_sellers=(last["certified_sellers"] if last else 0) if county_level else None,
            **{f: last[f] if last else 0 for f in ("certified_products", "workshops_reporting", "workshops_certified",
                                                   "workshops_eligible", "workers_total", "workers_poor")},
            sales_fen=total["sales_fen"], sales_lines=total["sales_lines"],
            households_reached=r["households_reached"] if r else 0, attributed_fen=r["attributed_fen"] if r else 0,
            wages_fen=total["wages_fen"],
            average_wage_fen=(total["wages_fen"] * 2 + total["slips"]) // (2 * total["slips"]) if total["slips"] else None,
            subsidies_entitled_fen=total["subsidies_entitled_fen"], subsidies_claimed_fen=total["subsidies_claimed_fen"],
            subsidies_paid_fen=paid,
            subsidies_recovered_fen=int(recovered.get(key[0], 0)) if county_level else None,
            households_flagged={f: flagged.get(key, {}).get(f, 0) for f in FLAGS})
    return out


async def dashboard(pool: asyncpg.Pool, county: str, year: int, area: str | None = None) -> Dashboard | None:
    level, code = _level(county, area)
    parts = HEADLINE_PARTS | {
        "sales": "SELECT coalesce(json_agg(t ORDER BY t.dimension, t.fen DESC, t.key), '[]') FROM (SELECT dimension,"
                 f" key, sum(sales_fen)::bigint AS fen, sum(sales_lines)::int AS n FROM {S}.sales_breakdown"
                 f" WHERE {AREA_FILTER} AND month LIKE $4::text || '-%' GROUP BY dimension, key) t",
        "income": f"SELECT row_to_json(t) FROM {S}.income_years t WHERE {AREA_FILTER} AND t.year = $4::text::int",
        "share": f"SELECT row_to_json(t) FROM {S}.reserved_share_years t WHERE county = ANY($1::text[])"
                 " AND t.year = $4::text::int AND $2::text = 'county'",
        "flags": f"SELECT coalesce(json_agg(t ORDER BY t.source, t.kind), '[]') FROM (SELECT source, kind, open"
                 f" FROM {S}.open_flags WHERE county = ANY($1::text[]) AND $2::text = 'county') t",
    }
    async with pool.acquire() as conn:
        got = await _parts(conn, parts, [county], level, [code], str(year))
        heads = await _headlines(conn, [county], level, [code], year, got)
    head = heads.get((county, code))
    if head is None and level != "county":
        return None  # an area of the county with nothing known for the year
    months, sales, income, share, flags = got["months"], got["sales"], got["income"], got["share"], got["flags"]
    by: dict[str, list[Breakdown]] = {d: [] for d in DIMENSIONS}
    for r in sales:
        by[r["dimension"]].append(Breakdown(key=r["key"], sales_fen=int(r["fen"]), sales_lines=int(r["n"])))
    return Dashboard(
        county=county, area_level=level, area_code=code, year=year, headline=head or empty_headline(),
        months=[DashboardMonth(**{f: m[f] for f in MONTH_COLUMNS}) for m in months],
        sales=SalesBreakdown(**by),
        income=IncomeBands(households=income["households"], members=income["members"], net_fen=income["net_fen"],
                           below_poverty_line=income["band_below_line"],
                           below_monitoring_threshold=income["band_below_threshold"],
                           above_threshold=income["band_above"], no_member=income["band_unknown"]) if income else None,
        reserved_share=_share(share) if share else None,
        open_flags=[OpenFlag(source=f["source"], kind=f["kind"], open=f["open"]) for f in flags])


async def county_headlines(conn: Any, codes: list[str], year: int) -> dict[str, Headline]:
    """Counties' year headlines by county code, in one round trip (a province's or the nation's table)."""
    heads = await _headlines(conn, codes, "county", codes, year)
    return {c: heads[(c, c)] for c in codes if (c, c) in heads}


def empty_headline() -> Headline:
    return Headline(as_of_month=None, certified_sellers=0, certified_products=0, sales_fen=0, sales_lines=0,
                    households_reached=0, attributed_fen=0, workshops_reporting=0, workshops_certified=0,
                    workshops_eligible=0, workers_total=0, workers_poor=0, wages_fen=0, average_wage_fen=None,
                    subsidies_entitled_fen=0, subsidies_claimed_fen=0, subsidies_paid_fen=0,
                    subsidies_recovered_fen=0, households_flagged={f: 0 for f in FLAGS})


def _share(r: Any) -> ReservedShare:
    reserved, bought = int(r["reserved_fen"]), int(r["purchased_fen"])
    progress = ratio(bought, reserved)  # a negative year (refunds beyond purchases) is −0.0500, never −1.9500
    return ReservedShare(budget_units=r["budget_units"], filed=r["filed"], exempt=r["exempt"], reserved_fen=reserved,
                         purchased_fen=bought, progress=progress, units_reached=r["units_reached"])


async def areas(pool: asyncpg.Pool, county: str, year: int, level: str, *, after: str | None = None,
                limit: int = 100) -> AreaPage:
    """The county's townships (or villages) with their year's headline, by area code."""
    key = paging.parse(after, paging.text)
    async with pool.acquire() as conn:
        codes = [r["area_code"] for r in await conn.fetch(
            f"SELECT area_code FROM (SELECT area_code FROM {S}.area_months WHERE county = $1 AND area_level = $2"
            " AND month LIKE $3 UNION SELECT area_code FROM {S}.reach_years WHERE county = $1 AND area_level = $2"
            " AND year = $4 UNION SELECT area_code FROM {S}.household_flag_counts WHERE county = $1"
            " AND area_level = $2 AND year = $4) a WHERE area_code > $5 ORDER BY area_code LIMIT $6"
            .replace("{S}", S), county, level, f"{year}-%", year, key[0] if key else "", limit + 1)]
        heads = await _headlines(conn, [county], level, codes, year)
        names = dict(await conn.fetch("SELECT code, name FROM rm_registry.areas WHERE county = $1"
                                      " AND code = ANY($2::text[])", county, codes))
    rows = [AreaRow(county=county, area_level=level, area_code=c, area_name=names.get(c), year=year,
                    headline=heads[(county, c)]) for c in codes if (county, c) in heads]
    page, next_after = paging.page(rows, limit, lambda r: [r.area_code])
    return AreaPage(items=page, next_after=next_after)


async def province(pool: asyncpg.Pool, province_code: str, year: int, *, after: str | None = None,
                   limit: int = 100) -> AreaPage:
    """The province's counties side by side (county level), by county code."""
    key = paging.parse(after, paging.text)
    async with pool.acquire() as conn:
        found = await conn.fetch(
            "SELECT code, name FROM rm_registry.counties WHERE left(code, 2) = $1 AND code > $2 ORDER BY code"
            " LIMIT $3", province_code[:2], key[0] if key else "", limit + 1)
        codes = [r["code"] for r in found]
        heads = await county_headlines(conn, codes, year)
    names = {r["code"]: r["name"] for r in found}
    rows = [AreaRow(county=c, area_level="county", area_code=c, area_name=names[c], year=year,
                    headline=heads.get(c) or empty_headline()) for c in codes]
    page, next_after = paging.page(rows, limit, lambda r: [r.area_code])
    return AreaPage(items=page, next_after=next_after)
