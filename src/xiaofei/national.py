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
import psycopg.conninfo
from psycopg import sql

from xiaofei.projectors.publication import PUBLICATION, PUBLISHED, SETTINGS_TABLE, published_tables
from xiaofei.projectors.sqlfiles import ddl_statements

def _counties_ddl() -> str:
    """The registry's own ``counties`` table statement (the reporting database takes that table alone: the
    registry's other tables hold households)."""
    found = re.search(r"CREATE TABLE IF NOT EXISTS counties \(.*?\);", "\n".join(ddl_statements("registry")), re.S)
    if found is None:
        raise NationalSetupError("the registry's DDL has no counties table")
    return found.group(0)


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
        conn.execute("SET LOCAL search_path TO rm_registry, public")
        conn.execute(_counties_ddl())  # type: ignore[arg-type]
    names = {f"{s}.{t}" for s, t in published_tables()}
    present = {f"{r[0]}.{r[1]}" for r in conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN"
        " ('rm_dashboard', 'rm_registry')")}
    if not names <= present:
        raise NationalSetupError(f"tables missing after setup: {', '.join(sorted(names - present))}")


def _check_source(province: str, source: str) -> None:
    """The source is a province deployment that published ``province``, and holds no other province's county."""
    try:
        with psycopg.connect(source, connect_timeout=10) as src:
            if not src.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (PUBLICATION,)).fetchone():
                raise NationalSetupError(f"{_where(source)} has no publication {PUBLICATION}: run "
                                         "`xiaofei national publish` on that deployment first")
            published = src.execute(f"SELECT province FROM {SETTINGS_TABLE}").fetchone()
            if published is None or published[0] != province:
                raise NationalSetupError(f"{_where(source)} publishes province "
                                         f"{published[0] if published else '(none)'}, not {province}")
            others = [r[0] for r in src.execute("SELECT DISTINCT left(code, 2) FROM rm_registry.counties"
                                                " WHERE left(code, 2) <> %s ORDER BY 1", (province,))]
    except psycopg.Error as e:
        raise NationalSetupError(f"cannot read {_where(source)}: {e}") from e
    if others:
        raise NationalSetupError(f"{_where(source)} also holds counties of province(s) {', '.join(others)}")


def _where(source: str) -> str:
    """The source without its password, for messages."""
    info = psycopg.conninfo.conninfo_to_dict(source)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def _province_rows(schema: str, table: str) -> sql.Composed:
    """``<table> WHERE <its county column> is of the province`` (one parameter: the 2-digit code)."""
    return sql.SQL("{} WHERE left({}, 2) = %s").format(
        sql.Identifier(schema, table), sql.Identifier(PUBLISHED[schema.removeprefix("rm_")][table]))


def _held(conn: psycopg.Connection[Any], province: str) -> bool:
    return any(conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(_province_rows(s, t)), (province,)).fetchone()
               for s, t in published_tables())


def subscribe(conn: psycopg.Connection[Any], province: str, source: str) -> str:
    """Subscribe the reporting database (``conn``, autocommit) to ``province``'s publication at ``source`` (a
    libpq connection string or URL the reporting server can reach). The first sync copies what is there, so the
    reporting database must not hold that province's rows already (``unsubscribe`` removes them)."""
    name = subscription_name(province)
    prepare(conn)
    if conn.execute("SELECT 1 FROM pg_subscription WHERE subname = %s", (name,)).fetchone():
        return name
    _check_source(province, source)
    if _held(conn, province):
        raise NationalSetupError(f"the reporting database already holds rows of province {province} (an earlier "
                                 f"subscription): `xiaofei national unsubscribe --province {province}` removes them")
    try:
        conn.execute(sql.SQL("CREATE SUBSCRIPTION {} CONNECTION {} PUBLICATION {}").format(
            sql.Identifier(name), sql.Literal(source), sql.Identifier(PUBLICATION)))
    except psycopg.Error as e:
        raise NationalSetupError(f"subscribing to province {province} failed: {e}") from e
    return name


def unsubscribe(conn: psycopg.Connection[Any], province: str) -> int:
    """Drop a province's subscription (and its slot on the province's server, when it can be reached) and its
    rows in the reporting database; how many rows went."""
    name = subscription_name(province)
    conn.execute(sql.SQL("DROP SUBSCRIPTION IF EXISTS {}").format(sql.Identifier(name)))
    removed = 0
    with conn.transaction():
        for schema, table in published_tables():
            cur = conn.execute(sql.SQL("DELETE FROM {}").format(_province_rows(schema, table)), (province,))
            removed += cur.rowcount
    return removed


REPLICATION_SQL = """
SELECT substr(s.subname, 10) AS province, s.subname AS subscription, s.subenabled AS enabled,
       w.last_received_at, extract(epoch FROM now() - w.last_received_at)::float8 AS seconds_since,
       coalesce(e.apply_error_count + e.sync_error_count, 0)::int AS errors
FROM pg_subscription s
LEFT JOIN (SELECT subid, max(last_msg_receipt_time) AS last_received_at FROM pg_stat_subscription
           WHERE relid IS NULL GROUP BY subid) w ON w.subid = s.oid
LEFT JOIN pg_stat_subscription_stats e ON e.subid = s.oid
WHERE s.subname LIKE 'xiaofei\\_p%' ORDER BY 1"""
"""Each province's subscription: when its apply worker(s) last heard from the province (a table sync's worker
is not counted), and how many times applying or a first copy failed (``pg_stat_subscription_stats``, e.g. a
duplicate key when a province's rows were already there)."""
