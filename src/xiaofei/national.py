"""National reporting (全国汇总, issue 12 §4): one PostgreSQL database subscribes to every province deployment's
publication (``projectors.publication``) and holds their dashboard figures side by side.

The reporting database has the published tables under the same qualified names (``rm_dashboard.*``,
``rm_registry.counties``: logical replication matches by name), made here from the dashboard projection's own DDL,
and one subscription per province, ``xiaofei_p<code>``, whose replication slot lives on the province's server.
Nothing else: no event store and no household tables, so no household data can be there. The national API
(``XIAOFEI_NATIONAL_REPORTING_URL``) reads it; its own deployment keeps the national officials' tokens.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg import sql

from xiaofei.projectors.publication import PUBLICATION, published_tables
from xiaofei.projectors.sqlfiles import ddl_statements

COUNTIES_DDL = """
CREATE TABLE IF NOT EXISTS rm_registry.counties (
    code            text PRIMARY KEY,
    name            text NOT NULL,
    province        text NOT NULL,
    registered_at   timestamptz NOT NULL
)"""


class NationalSetupError(RuntimeError):
    """The reporting database or a province's server cannot be set up as asked."""


def subscription_name(province: str) -> str:
    if not re.fullmatch(r"[1-9]\d", province):
        raise NationalSetupError(f"province {province!r}: expected a 2-digit province code such as 36")
    return f"xiaofei_p{province}"


def prepare(conn: psycopg.Connection[Any]) -> None:
    """The published tables, empty, in the reporting database (idempotent)."""
    with conn.transaction():
        conn.execute("CREATE SCHEMA IF NOT EXISTS rm_dashboard")
        conn.execute("CREATE SCHEMA IF NOT EXISTS rm_registry")
        conn.execute("SET LOCAL search_path TO rm_dashboard, public")
        for script in ddl_statements("dashboard"):
            conn.execute(script)  # type: ignore[arg-type]
        conn.execute(COUNTIES_DDL)  # type: ignore[arg-type]
    names = {f"{s}.{t}" for s, t in published_tables()}
    present = {f"{r[0]}.{r[1]}" for r in conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN"
        " ('rm_dashboard', 'rm_registry')")}
    if not names <= present:
        raise NationalSetupError(f"tables missing after setup: {', '.join(sorted(names - present))}")


def subscribe(conn: psycopg.Connection[Any], province: str, source: str) -> str:
    """Subscribe the reporting database (``conn``, autocommit) to ``province``'s publication at ``source`` (a
    libpq connection string or URL the reporting server can reach). The first sync copies what is there."""
    name = subscription_name(province)
    prepare(conn)
    if conn.execute("SELECT 1 FROM pg_subscription WHERE subname = %s", (name,)).fetchone():
        return name
    try:
        conn.execute(sql.SQL("CREATE SUBSCRIPTION {} CONNECTION {} PUBLICATION {}").format(
            sql.Identifier(name), sql.Literal(source), sql.Identifier(PUBLICATION)))
    except psycopg.Error as e:
        raise NationalSetupError(f"subscribing to province {province} failed: {e}") from e
    return name


def unsubscribe(conn: psycopg.Connection[Any], province: str) -> None:
    """Drop a province's subscription (and its slot on the province's server). Its rows stay until deleted."""
    conn.execute(sql.SQL("DROP SUBSCRIPTION IF EXISTS {}").format(sql.Identifier(subscription_name(province))))


REPLICATION_SQL = """
SELECT substr(s.subname, 10) AS province, s.subname AS subscription, s.subenabled AS enabled,
       st.last_msg_receipt_time AS last_received_at,
       extract(epoch FROM now() - st.last_msg_receipt_time)::float8 AS seconds_since
FROM pg_subscription s LEFT JOIN pg_stat_subscription st ON st.subid = s.oid AND st.relid IS NULL
WHERE s.subname LIKE 'xiaofei\\_p%' ORDER BY 1"""
"""Each province's subscription and when its last message arrived (the apply worker's row, not a table sync's)."""
