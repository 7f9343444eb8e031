"""Projection positions, lag, and the bounded wait behind read-your-writes."""

from __future__ import annotations

import asyncio
import json
import time

import asyncpg

from xiaofei.domain.errors import invalid
from xiaofei.queries.models import HaltedPartition, ProjectionStatus


class StaleRead(Exception):
    """The projections did not reach the requested position in time."""

    def __init__(self, projection: str, position: int, wanted: int) -> None:
        super().__init__(f"projection {projection} is at {position}, request asked for at least {wanted}")
        self.projection = projection
        self.position = position
        self.wanted = wanted


class PartitionHalted(Exception):
    """A county's part of a projection stopped at an event it cannot apply; reads of that county would be wrong."""

    def __init__(self, projection: str, county: str, position: int, topic: str, error: str) -> None:
        super().__init__(f"projection {projection} is halted for county {county} at event {position} ({topic}): "
                         f"{error}; an operator retries it with `xiaofei projections retry {projection} "
                         f"--county {county}` once the cause is fixed")
        self.projection = projection
        self.county = county


def _halted_union(projections: tuple[str, ...], where: str) -> str:
    """The halted parts of ``projections`` matching ``where``: (n = the projection's index, county, projection,
    position, topic, error)."""
    return " UNION ALL ".join(
        f"SELECT {i} AS n, county, '{name}' AS projection, position, topic, error FROM rm_{name}.halted_partitions"
        f" WHERE {where}" for i, name in enumerate(projections))


async def halted_by_county(pool: asyncpg.Pool, projections: tuple[str, ...],
                           counties: list[str]) -> dict[str, list[str]]:
    """For each of ``counties`` with a halted part, the projections halted there, in the order given."""
    if not counties or not projections:
        return {}
    out: dict[str, list[str]] = {}
    rows = await pool.fetch(f"SELECT county, projection FROM ({_halted_union(projections, 'county = ANY($1::text[])')})"
                            " h ORDER BY county, n", counties)
    for r in rows:
        out.setdefault(r["county"], []).append(r["projection"])
    return out


async def check_partition(pool: asyncpg.Pool, projections: tuple[str, ...], county: str | None,
                          organisation: str | None = None, *, stamp: tuple[str, ...] = (),
                          application: str = "xiaofei") -> tuple[int, ...]:
    """Raise ``PartitionHalted`` when the part of one of ``projections`` for ``county`` (or the organisation's
    county, or the buyer's) is halted: the first of them, in the order given. Return the positions the ``stamp``
    projections have reached, each with its tracking row's version (what a cached answer computed from them is valid
    for: equal stamps, equal rows). One small query for it all."""
    checked = (county is not None or organisation is not None) and bool(projections)
    if not checked and not stamp:
        return ()
    parts: list[str] = []
    args: list[str | None] = []
    if checked:
        union = _halted_union(projections, "county = k.county")
        parts.append(
            "(SELECT row_to_json(h) FROM (WITH k AS (SELECT coalesce($1, (SELECT county FROM rm_employment.organisations"
            " WHERE credit_code = $2), (SELECT county FROM rm_consumption.buyers WHERE buyer_key = $2)) AS county)"
            f" SELECT h.* FROM k, LATERAL ({union}) h ORDER BY h.n LIMIT 1) h)::text AS halted")
        args += [county, organisation]
    if stamp:
        args.append(application)
        # the row's xmin too: a rebuild renames in a schema whose tracking row is new at the same position, and a
        # retry of a halted county rewrites rows at the same position (it touches the row: ``retry_partition``)
        parts += [f"(SELECT ARRAY[notification_id, xmin::text::bigint] FROM rm_{name}.tracking"
                  f" WHERE application_name = ${len(args)}) AS p{i}" for i, name in enumerate(stamp)]
    row = await pool.fetchrow("SELECT " + ", ".join(parts), *args)
    assert row is not None
    if checked and row["halted"] is not None:
        h = json.loads(row["halted"])
        raise PartitionHalted(projections[h["n"]], h["county"], h["position"], h["topic"], h["error"])
    return tuple(int(v) for i in range(len(stamp)) for v in (row[f"p{i}"] or (0, 0)))


async def halted_partitions(pool: asyncpg.Pool, name: str) -> list[HaltedPartition]:
    rows = await pool.fetch(f"SELECT h.*, (SELECT count(*) FROM rm_{name}.parked_events p WHERE p.county = h.county)"
                            f" AS parked FROM rm_{name}.halted_partitions h ORDER BY county")
    return [HaltedPartition(county=r["county"], position=r["position"], topic=r["topic"], error=r["error"],
                            parked_events=r["parked"]) for r in rows]


async def position(pool: asyncpg.Pool, projection: str, application: str = "xiaofei") -> int:
    value = await pool.fetchval(
        f"SELECT notification_id FROM rm_{projection}.tracking WHERE application_name = $1", application)
    return int(value or 0)


async def head(pool: asyncpg.Pool, events_table: str) -> int:
    return int(await pool.fetchval(f"SELECT coalesce(max(notification_id), 0) FROM {events_table}") or 0)


async def wait_for(pool: asyncpg.Pool, projections: tuple[str, ...], min_position: int | None, timeout: float,
                   events_table: str | None = None, head_pool: asyncpg.Pool | None = None) -> None:
    """Return once every named projection has processed ``min_position`` in ``pool``'s database; raise
    ``StaleRead`` after ``timeout``. A position past the log's head was never returned by a write (no waiting makes
    it true): ``InvalidInput``. The head is read from ``head_pool`` when ``pool`` is a streaming replica: the
    replica's own head may not yet hold the write whose position the client carries. On a replica, a tracking row
    that has reached ``min_position`` means the replica replayed that projection's commit, rows and all (both are
    in one transaction): reading it there is read-your-writes without comparing LSNs."""
    if not min_position:
        return
    deadline = time.monotonic() + timeout
    delay = 0.005
    checked_head = events_table is None
    for name in projections:
        while True:
            current = await position(pool, name)
            if current >= min_position:
                break
            if not checked_head:
                checked_head = True
                if min_position > (top := await head(head_pool or pool, events_table)):  # type: ignore[arg-type]
                    raise invalid("min_position", f"is past the last position of the log ({top}): use the position "
                                                  "a command returned")
            if time.monotonic() >= deadline:
                raise StaleRead(name, current, min_position)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)


async def statuses(pool: asyncpg.Pool, names: list[str], events_table: str) -> list[ProjectionStatus]:
    top = await head(pool, events_table)
    out = []
    for name in names:
        pos = await position(pool, name)
        out.append(ProjectionStatus(name=name, position=pos, head=top, lag=max(top - pos, 0),
                                    halted=await halted_partitions(pool, name)))
    return out
