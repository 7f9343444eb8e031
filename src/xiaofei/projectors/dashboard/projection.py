"""The county dashboard (县级看板) projection: a derived read model. Each batch finds the counties its events can
change — the county an event names or its aggregate belongs to, the counties of households whose members are on a
slip or a subsidy payment of the batch, the counties a changed county's products and linkage payments reach, every
county under a changed parameter's scope — and recomputes their rows from the upstream read models with the
statements of ``sql``. A batch never reads past the position every upstream projection has reached
(``ceiling``), so the rows at the head of the log are a function of the upstream rows alone: a rebuild, or any
batching, gives the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.rows import DictRow, dict_row

from xiaofei.domain.claims import Claim
from xiaofei.domain.employment import Payroll
from xiaofei.domain.policy import PolicyBook
from xiaofei.domain.registry import Household
from xiaofei.projectors.base import RETRY_HOOKS, BatchProjection, ConnectionParams, copy_rows, live_schema, lock_key
from xiaofei.projectors.dashboard import sql
from xiaofei.projectors.employment.lookups import scope_prefix
from xiaofei.projectors.partitions import named_county

WORKER = "worker:"


def _people(events: Sequence[Any]) -> tuple[set[str], set[Any]]:
    """ID hashes and slip ids the batch's payroll and claim events name (their households' income can change)."""
    hashes: set[str] = set()
    slips: set[Any] = set()
    for e in events:
        if isinstance(e, Payroll.SlipsReported):
            hashes.update(s.id_hash for s in e.slips)
        elif isinstance(e, Payroll.SlipCorrected):
            hashes.add(e.slip.id_hash)
            slips.add(e.slip.slip_id)
        elif isinstance(e, Payroll.Event) and hasattr(e, "slip_id"):
            slips.add(e.slip_id)
        elif isinstance(e, Claim.Paid):
            hashes.update(p.payee.removeprefix(WORKER) for p in e.payments if p.payee.startswith(WORKER))
    return hashes, slips


def dirty_counties(cur: psycopg.Cursor[DictRow], events: Sequence[Any]) -> list[str]:
    counties: set[str] = set()
    unnamed = []
    scopes: set[str] = set()
    books = set()
    for e in events:
        county = named_county(e)
        if county is not None:
            counties.add(county)
        else:
            unnamed.append(e.originator_id)
        if isinstance(e, PolicyBook.Event) and isinstance(getattr(e, "scope", None), str):
            scopes.add(e.scope)
        elif isinstance(e, PolicyBook.Event):
            books.add(e.originator_id)  # a later version names no scope: the book's (income keeps a copy)
    if books:
        cur.execute(f"SELECT scope FROM {sql.I}.policy_books WHERE book_id = ANY(%s)", (list(books),))
        scopes.update(r["scope"] for r in cur.fetchall())
    if unnamed:
        cur.execute("SELECT DISTINCT county FROM partitions WHERE originator_id = ANY(%s)", (unnamed,))
        counties.update(r["county"] for r in cur.fetchall())
    households = [e.originator_id for e in events if isinstance(e, Household.Event)]
    if households:  # a household's change (its category, a member) moves its members' entitlements wherever they work
        cur.execute(f"SELECT DISTINCT s.county FROM {sql.E}.slips s WHERE s.id_hash IN (SELECT m.id_hash"
                    f" FROM {sql.I}.members m JOIN {sql.I}.households h USING (county, household_number)"
                    " WHERE h.household_id = ANY(%s))", (households,))
        counties.update(r["county"] for r in cur.fetchall())
    hashes, slips = _people(events)
    if hashes or slips:
        cur.execute(f"SELECT DISTINCT county FROM {sql.I}.members WHERE id_hash = ANY(%s) OR id_hash IN"
                    f" (SELECT id_hash FROM {sql.I}.slips WHERE slip_id = ANY(%s))", (sorted(hashes), list(slips)))
        counties.update(r["county"] for r in cur.fetchall())
    for scope in scopes:
        cur.execute(f"SELECT code FROM {sql.R}.counties WHERE code LIKE %s", (scope_prefix(scope),))
        counties.update(r["code"] for r in cur.fetchall())
    if counties:
        counties |= _linked(cur, counties)
    return sorted(counties)


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
        # Every county, every batch: the whole-suite rebuild keeps finding upstream changes in a county no event of
        # the batch leads to (``dirty_counties`` follows the known paths); until each upstream projection reports the
        # counties it changed, correctness comes first (cost: see DESIGN, "County dashboard").
        if not events:
            return
        cur.execute(f"SELECT code FROM {sql.R}.counties")
        recompute(cur, sorted(set(dirty_counties(cur, events)) | {r["code"] for r in cur.fetchall()}))
        for statement in sql.OPEN_FLAGS:
            cur.execute(statement)  # type: ignore[arg-type]


def _linked(cur: psycopg.Cursor[DictRow], counties: set[str]) -> set[str]:
    """Where a county's sales and payments reach households of another county."""
    cur.execute(f"SELECT DISTINCT ps.household_county AS county FROM {sql.C}.pool_shares ps"
                f" JOIN {sql.C}.products p USING (product_id) WHERE p.county = ANY(%s)"
                f" UNION SELECT DISTINCT payee_county FROM {sql.C}.linkage_payments WHERE county = ANY(%s)",
                (sorted(counties), sorted(counties)))
    return {r["county"] for r in cur.fetchall() if r["county"]}


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
    event in the log, so the county's dashboard rows are recomputed now, under the dashboard's lock."""
    if projection not in sql.UPSTREAM:
        return
    with params.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (lock_key(DashboardProjection.name),))
        cur.execute("SELECT to_regclass(%s) AS t", (f"{live_schema(DashboardProjection.name)}.tracking",))
        if cur.fetchone()["t"] is None:  # type: ignore[index]
            return
        cur.execute(pgsql.SQL("SET LOCAL search_path TO {}, public").format(
            pgsql.Identifier(live_schema(DashboardProjection.name))))
        recompute(cur, sorted({county} | _linked(cur, {county})))
        for statement in sql.OPEN_FLAGS:
            cur.execute(statement)  # type: ignore[arg-type]
        conn.commit()


RETRY_HOOKS.append(refresh_after_retry)
