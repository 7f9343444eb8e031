"""The county dashboard (县级看板) projection: a derived read model. Each batch recomputes, from the upstream read
models and with the statements of ``sql``, every county whose upstream rows changed in the batch's range of log
positions: the upstream tables' triggers record those counties (``projectors.changes``; ``WATCHED`` below says
which tables and how a row names its counties). A batch never reads past the position every upstream projection
has reached (``ceiling``) and a fresh build's first batch recomputes every county, so the rows at the head of the
log are a function of the upstream rows alone: a rebuild, or any batching, gives the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.rows import DictRow, dict_row

from xiaofei.projectors.base import (
    RETRY_HOOKS,
    BatchProjection,
    ConnectionParams,
    copy_rows,
    live_schema,
    lock_key,
    mark_rewritten,
)
from xiaofei.projectors.changes import BATCH_SETTING, RETRY_STAMP, WATCHED
from xiaofei.projectors.dashboard import sql

def changed_counties(cur: psycopg.Cursor[DictRow], after: int, upto: int) -> set[str]:
    """Counties the upstream projections changed in batches stamped (after, upto]."""
    union = " UNION ".join(f"SELECT county FROM {live_schema(n)}.changed_counties WHERE position > %(after)s"
                           " AND position <= %(upto)s" for n in WATCHED)
    cur.execute(union, {"after": after, "upto": upto})  # type: ignore[arg-type]
    return {r["county"] for r in cur.fetchall()}


def every_county(cur: psycopg.Cursor[DictRow]) -> set[str]:
    """Every county a fresh build must compute: the registered ones and any an upstream row named."""
    union = " UNION ".join(f"SELECT DISTINCT county FROM {live_schema(n)}.changed_counties" for n in WATCHED)
    cur.execute(f"SELECT code AS county FROM {sql.R}.counties UNION {union}")
    return {r["county"] for r in cur.fetchall()}


class DashboardProjection(BatchProjection):
    name = "dashboard"
    upstream = sql.UPSTREAM

    @classmethod
    def ceiling(cls, cur: psycopg.Cursor[DictRow], application_name: str) -> int:
        """The position every upstream projection has reached (0 while one has not been set up)."""
        positions = []
        for name in cls.upstream:
            schema = live_schema(name)
            cur.execute("SELECT to_regclass(%s) AS t", (f"{schema}.tracking",))
            if cur.fetchone()["t"] is None:  # type: ignore[index]
                return 0
            cur.execute(pgsql.SQL("SELECT max(notification_id) AS p FROM {}.tracking WHERE application_name = %s")
                        .format(pgsql.Identifier(schema)), (application_name,))
            positions.append(cur.fetchone()["p"] or 0)  # type: ignore[index]
        return min(positions)

    def apply(self, cur: psycopg.Cursor[DictRow], events: Sequence[Any]) -> None:
        # what changed is read from the upstream triggers' stamps, not guessed from the events (an empty batch, a
        # halted county's events only, still recomputes what the range changed)
        cur.execute("SELECT current_setting('xiaofei.batch_from', true) AS after, current_setting(%s, true) AS upto",
                    (BATCH_SETTING,))
        found = cur.fetchone()
        after, upto = int(found["after"] or 0), int(found["upto"] or 0)  # type: ignore[index]
        counties = every_county(cur) if after == 0 else changed_counties(cur, after, upto)
        recompute(cur, sorted(counties))
        for statement in sql.OPEN_FLAGS:
            cur.execute(statement)  # type: ignore[arg-type]


def recompute(cur: psycopg.Cursor[DictRow], counties: Sequence[str]) -> None:
    """Delete and rewrite every row of ``counties`` from the upstream read models (search_path: the dashboard's)."""
    if not counties:
        return
    for statement in sql.TEMP:
        cur.execute(statement)  # type: ignore[arg-type]
    for temp in ("dashboard_dirty", "dashboard_months", "dashboard_metric"):
        cur.execute(f"DELETE FROM pg_temp.{temp}")  # noqa: S608 - fixed names
    copy_rows(cur, "dashboard_dirty", [(c,) for c in counties])
    for table in sql.TABLES:
        cur.execute(f"DELETE FROM {table} WHERE county IN (SELECT county FROM pg_temp.dashboard_dirty)")  # noqa: S608
    for statement in sql.DERIVE:
        cur.execute(statement)  # type: ignore[arg-type]


def refresh_after_retry(params: ConnectionParams, projection: str, county: str) -> None:
    """An upstream projection re-applied a halted county's parked events (``retry``): its rows changed with no new
    event in the log, so the counties that retry stamped are recomputed now, under the dashboard's lock."""
    if projection not in WATCHED:
        return
    with params.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (lock_key(DashboardProjection.name),))
        cur.execute("SELECT to_regclass(%s) AS t", (f"{live_schema(DashboardProjection.name)}.tracking",))
        if cur.fetchone()["t"] is None:  # type: ignore[index]
            return
        cur.execute(f"DELETE FROM {live_schema(projection)}.changed_counties WHERE position = %s RETURNING county",
                    (RETRY_STAMP,))
        counties = {county} | {r["county"] for r in cur.fetchall()}
        cur.execute(pgsql.SQL("SET LOCAL search_path TO {}, public").format(
            pgsql.Identifier(live_schema(DashboardProjection.name))))
        recompute(cur, sorted(counties))
        for statement in sql.OPEN_FLAGS:
            cur.execute(statement)  # type: ignore[arg-type]
        mark_rewritten(cur)
        conn.commit()


RETRY_HOOKS.append(refresh_after_retry)
