"""What a province deployment publishes to national reporting (issue 12): PostgreSQL logical replication of the
read-model tables that hold figures, never people.

The publication ``xiaofei_national`` carries the county dashboard's tables (every figure a county, township or
village shows, as counts and fen) and the registry's list of counties (code, name, province): no household, member,
name, ID number or hash. It publishes inserts, updates and deletes but not TRUNCATE: several provinces feed the
same national tables, and a truncate in one must never empty the others' rows.

A rebuild (``projectors.base.rebuild``) swaps a projection's schema for a fresh one, and dropping the old schema
drops its tables from the publication: ``republish`` adds the new tables back inside the swap's transaction, so no
change after the swap is lost. Rebuilt rows equal the live ones (the same facts give the same rows), so the
national copy made before the swap stays right; changes after it replicate by primary key as before.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

PUBLICATION = "xiaofei_national"

PUBLISHED: dict[str, tuple[str, ...]] = {
    "dashboard": ("area_months", "sales_breakdown", "reserved_share_years", "household_flag_counts",
                  "income_years", "open_flags", "county_totals", "reach_years"),
    "registry": ("counties",),
}
"""Projection → its tables in the publication (schema ``rm_<projection>``)."""


def published_tables() -> list[tuple[str, str]]:
    return [(f"rm_{name}", table) for name, tables in PUBLISHED.items() for table in tables]


def _table_list(tables: list[tuple[str, str]]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(schema, table) for schema, table in tables)


def exists(cur: Any) -> bool:
    cur.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (PUBLICATION,))
    return cur.fetchone() is not None


def republish(cur: Any, projection: str) -> None:
    """After a rebuild's swap (same transaction): put the projection's new tables in the publication."""
    if projection not in PUBLISHED or not exists(cur):
        return
    cur.execute("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = %s", (PUBLICATION,))
    present = {(r["schemaname"], r["tablename"]) if isinstance(r, dict) else (r[0], r[1]) for r in cur.fetchall()}
    missing = [t for t in published_tables() if t[0] == f"rm_{projection}" and t not in present]
    if missing:
        cur.execute(sql.SQL("ALTER PUBLICATION {} ADD TABLE {}").format(sql.Identifier(PUBLICATION),
                                                                        _table_list(missing)))


def publish(cur: Any) -> list[str]:
    """Create (or complete) the publication on a province's database; its tables, qualified."""
    cur.execute("SHOW wal_level")
    level = cur.fetchone()
    level = level["wal_level"] if isinstance(level, dict) else level[0]
    if level != "logical":
        raise RuntimeError(f"wal_level is {level}: national reporting needs wal_level = logical on the province's "
                           "PostgreSQL (postgresql.conf, then a restart)")
    tables = published_tables()
    name = sql.Identifier(PUBLICATION)
    if exists(cur):
        cur.execute(sql.SQL("ALTER PUBLICATION {} SET TABLE {}").format(name, _table_list(tables)))
    else:
        cur.execute(sql.SQL("CREATE PUBLICATION {} FOR TABLE {} WITH (publish = 'insert, update, delete')")
                    .format(name, _table_list(tables)))
    return [f"{s}.{t}" for s, t in tables]
