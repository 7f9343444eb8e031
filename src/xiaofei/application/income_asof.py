"""Household income and the county summary as they were known at a past log position (issue 10, point 2).

Every fact row of the income projection carries the position of the event that wrote its current state, and each
state an event replaced is kept with the position that replaced it (``projections/income/002_asof.sql``). The
facts known at position P are the rows recorded at or before P, plus the replaced states recorded at or before P
and replaced after it. An as-of read opens one repeatable-read transaction, puts temporary views of those facts
and empty temporary copies of the derived tables ahead of ``rm_income`` in the search path, runs the projection's
own ``derive`` for the households asked about, reads the answer with the live reads' SQL and rolls back: nothing
is written, and the figures come from exactly the code that computes the live ones. Since the derived rows are a
function of the facts alone (whatever the batching), this is what the read model said — or would have said — once
it had applied the events up to P.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row

from xiaofei.projectors.base import ConnectionParams
from xiaofei.projectors.income.derive import derive
from xiaofei.projectors.income.facts import Dirty
from xiaofei.queries import income as iq
from xiaofei.queries import paging

LIVE = "rm_income"
APPEND_ONLY = ("households", "payrolls", "claims", "subsidy_payments", "ledgers", "linkage_payments",
               "policy_books", "parameters", "certifications", "products", "product_plans", "sales",
               "household_categories")
"""Facts no event changes once written (of ``certifications`` and ``products``, what ``derive`` reads): known at P
when recorded at or before P."""
REPLACEABLE = ("members", "declarations", "slips", "claim_lines", "cert_periods")
"""Facts events change: their earlier states are in ``<table>_replaced``."""
DERIVED = ("income_lines", "household_months", "household_years", "flags")


def _psycopg(query: str) -> str:
    """The live reads' asyncpg SQL (``$1``, ``$2``…, each used once and in order) for psycopg."""
    return re.sub(r"\$\d+", "%s", query)


def _columns(cur: psycopg.Cursor[DictRow], table: str) -> str:
    cur.execute("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", (f"{LIVE}.{table}",))
    return cur.fetchone()["cols"]  # type: ignore[index,no-any-return]


@contextmanager
def known_at(params: ConnectionParams, position: int) -> Iterator[psycopg.Cursor[DictRow]]:
    """A cursor whose unqualified income tables are the facts known at ``position`` and empty derived tables;
    everything it does is rolled back."""
    at = int(position)  # formatted into the views below: an int, never text
    with params.connect(row_factory=dict_row) as conn:
        cur = conn.cursor()
        try:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for table in APPEND_ONLY:
                cur.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM {LIVE}.{table}"  # noqa: S608 - fixed names
                            f" WHERE recorded_at <= {at}")
            for table in REPLACEABLE:
                cols = _columns(cur, table)
                cur.execute(f"CREATE TEMP VIEW {table} AS SELECT {cols} FROM {LIVE}.{table}"  # noqa: S608
                            f" WHERE recorded_at <= {at} UNION ALL SELECT {cols} FROM {LIVE}.{table}_replaced"
                            f" WHERE recorded_at <= {at} AND replaced_at > {at}")
            # the projection's "today" as of ``at`` (the latest event applied by then: ``facts.log_today``)
            cur.execute(f"CREATE TEMP VIEW log_positions AS SELECT * FROM {LIVE}.log_positions"  # noqa: S608
                        f" WHERE position <= {at}")
            for table in DERIVED:
                cur.execute(f"CREATE TEMP TABLE {table} (LIKE {LIVE}.{table} INCLUDING ALL) ON COMMIT DROP")
            # from here on every unqualified name is a view of the facts at ``at`` or a temporary derived table
            cur.execute(f"SET LOCAL search_path TO pg_temp, {LIVE}, public")
            yield cur
        finally:
            conn.rollback()


def household_year(params: ConnectionParams, county: str, number: str, year: int, as_of: iq.IncomeAsOf, *,
                   after: str | None, limit: int) -> iq.HouseholdIncomeYear | None:
    """``GET …/income`` as of ``as_of.position``: one household recomputed."""
    key = paging.parse(after, paging.text)
    with known_at(params, as_of.position) as cur:
        derive(cur, Dirty(households={(county, number)}))
        s = "pg_temp"
        cur.execute(_psycopg(iq.YEAR_SQL.format(s=s)), (county, number, year))
        y = cur.fetchone()
        if y is None:
            return None
        cur.execute(_psycopg(iq.LINES_SQL.format(s=s)), (county, number, year, key[0] if key else "", limit + 1))
        lines = [dict(r) for r in cur.fetchall()]
        cur.execute(_psycopg(iq.MONTHS_SQL.format(s=s)), (county, number, f"{year:04d}-%"))
        months = [dict(r) for r in cur.fetchall()]
        cur.execute(_psycopg(iq.FLAGS_SQL.format(s=s)), (county, number, year))
        flags = {r["flag"]: r["evidence"] for r in cur.fetchall()}
        return iq.year_answer(dict(y), lines, months, flags, limit, as_of)


def county_summary(params: ConnectionParams, county: str, year: int, as_of: iq.IncomeAsOf) -> iq.IncomeSummary:
    """``GET …/income-summary`` as of ``as_of.position``: every household of the county known then, recomputed."""
    with known_at(params, as_of.position) as cur:
        cur.execute("SELECT county, household_number FROM households WHERE county = %s", (county,))
        derive(cur, Dirty(households={(r["county"], r["household_number"]) for r in cur.fetchall()}))
        cur.execute(_psycopg(iq.SUMMARY_SQL.format(s="pg_temp")), (county, year))
        row: dict[str, Any] = dict(cur.fetchone())  # type: ignore[arg-type]
        return iq.summary_answer(county, year, row, as_of)
