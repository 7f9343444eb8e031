"""Rows of the county dashboard's tables for an export (rm_dashboard): an area's months, and every row of a table
of areas or of a province's counties (the reads in ``queries.dashboard``, all pages, flattened to one level)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import msgspec

from xiaofei.queries import streaming
from xiaofei.queries import dashboard as dq

PAGE = 500


def month_rows(pool: asyncpg.Pool, county: str, year: int, area: str | None) -> AsyncIterator[asyncpg.Record]:
    """The area's months of the year (the county's when ``area`` is None), by month."""
    level = "county" if area is None or area == county else ("township" if len(area) == 9 else "village")
    return streaming.rows(pool, f"SELECT * FROM {dq.S}.area_months WHERE county = $1 AND area_level = $2"
                                " AND area_code = $3 AND month LIKE $4 ORDER BY month",
                          county, level, area or county, f"{year:04d}-%")


def flat(row: dq.AreaRow) -> dict[str, Any]:
    """An area's row with its headline's fields beside its code, the flag counts as ``flagged_<flag>``."""
    head = msgspec.structs.asdict(row.headline)
    flagged = head.pop("households_flagged")
    return {"county": row.county, "area_level": row.area_level, "area_code": row.area_code,
            "area_name": row.area_name, "year": row.year,
            **head, **{f"flagged_{flag}": flagged.get(flag, 0) for flag in dq.FLAGS}}


async def every_area(read: Callable[[str | None], Awaitable[dq.AreaPage]]) -> AsyncIterator[dict[str, Any]]:
    """Every row of a paged table of areas, page after page (``read(after)`` reads one page)."""
    after: str | None = None
    while True:
        page = await read(after)
        for row in page.items:
            yield flat(row)
        if page.next_after is None:
            return
        after = page.next_after


def area_rows(pool: asyncpg.Pool, county: str, year: int, level: str) -> AsyncIterator[dict[str, Any]]:
    return every_area(lambda after: dq.areas(pool, county, year, level, after=after, limit=PAGE))


def county_rows(pool: asyncpg.Pool, province: str, year: int) -> AsyncIterator[dict[str, Any]]:
    return every_area(lambda after: dq.province(pool, province, year, after=after, limit=PAGE))
