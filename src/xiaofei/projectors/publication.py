"""What a province deployment publishes to national reporting (issue 12): PostgreSQL logical replication of the
county-level figures of the dashboard, never people.

The publication ``xiaofei_national`` carries, for the counties of the deployment's province only (a row filter on
the county code), the county rows of the dashboard's tables (``area_level = 'county'``: a township's or a
village's row can be one household's money, and the nation reads counties only) and the registry's list of
counties (code, name, province): no household, member, name, ID number or hash. It publishes inserts, updates and
deletes but not TRUNCATE: several provinces feed the same national tables, and a truncate in one must never empty
the others' rows. Row filters need PostgreSQL 15.

A rebuild (``projectors.base.rebuild``) builds a projection into a fresh schema, which is swapped for the live
one; those rows were never published. So in the swap's transaction ``sync_published`` first makes the live
published tables equal to the fresh ones row by row (deletes, inserts, updates by primary key: each published
like any change), and ``republish`` then puts the fresh tables in the publication once they are live. Whatever a
rebuild changes — a fix that gives other figures — reaches the nation.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

PUBLICATION = "xiaofei_national"
SETTINGS_TABLE = "public.xiaofei_publication"
"""The province the publication was made for (its row filters name it): one row."""

PUBLISHED: dict[str, dict[str, str]] = {
    "dashboard": {"area_months": "county", "sales_breakdown": "county", "reserved_share_years": "county",
                  "household_flag_counts": "county", "income_years": "county", "open_flags": "county",
                  "county_totals": "county", "reach_years": "county"},
    "registry": {"counties": "code"},
}
"""Projection → its published tables (schema ``rm_<projection>``) → the column holding the county code."""

LEVELLED = {"area_months", "sales_breakdown", "household_flag_counts", "income_years", "reach_years"}
"""Tables with rows per county, township and village: only the county's cross."""


def published_tables() -> list[tuple[str, str]]:
    return [(f"rm_{name}", table) for name, tables in PUBLISHED.items() for table in tables]


def _entry(schema: str, table: str, province: str) -> sql.Composable:
    column = PUBLISHED[schema.removeprefix("rm_")][table]
    condition = sql.SQL("left({}, 2) = {}").format(sql.Identifier(column), sql.Literal(province))
    if table in LEVELLED:
        condition = sql.SQL("area_level = 'county' AND ") + condition
    return sql.SQL("{} WHERE ({})").format(sql.Identifier(schema, table), condition)


def _row(cur: Any) -> Any:
    """The one value of a one-column answer (cursors here give rows as dicts, as the projectors' do)."""
    row = cur.fetchone()
    return None if row is None else next(iter(row.values()))


def exists(cur: Any) -> bool:
    cur.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (PUBLICATION,))
    return cur.fetchone() is not None


def _province(cur: Any) -> str | None:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", (SETTINGS_TABLE,))
    if not _row(cur):
        return None
    cur.execute(f"SELECT province FROM {SETTINGS_TABLE}")
    return _row(cur)  # type: ignore[no-any-return]


def publish(cur: Any, province: str | None) -> list[str]:
    """Create (or complete) the publication of a province's database (``cur``: a dict-row cursor); its tables,
    qualified."""
    if province is None:
        raise RuntimeError("XIAOFEI_PROVINCE is not set: a deployment publishes the counties of its one province")
    cur.execute("SHOW wal_level")
    level = _row(cur)
    if level != "logical":
        raise RuntimeError(f"wal_level is {level}: national reporting needs wal_level = logical on the province's "
                           "PostgreSQL (postgresql.conf, then a restart)")
    cur.execute("SHOW server_version_num")
    if int(_row(cur)) < 150000:
        raise RuntimeError("national reporting needs PostgreSQL 15 or later (publication row filters)")
    previous = _province(cur)
    if previous is not None and previous != province:
        raise RuntimeError(f"this database published province {previous}; it cannot publish {province}")
    cur.execute(f"CREATE TABLE IF NOT EXISTS {SETTINGS_TABLE} (province text PRIMARY KEY)")
    cur.execute(f"INSERT INTO {SETTINGS_TABLE} VALUES (%s) ON CONFLICT DO NOTHING", (province,))
    tables = sql.SQL(", ").join(_entry(s, t, province) for s, t in published_tables())
    name = sql.Identifier(PUBLICATION)
    if exists(cur):
        cur.execute(sql.SQL("ALTER PUBLICATION {} SET TABLE {}").format(name, tables))
    else:
        cur.execute(sql.SQL("CREATE PUBLICATION {} FOR TABLE {} WITH (publish = 'insert, update, delete')")
                    .format(name, tables))
    return [f"{s}.{t}" for s, t in published_tables()]


def _columns(cur: Any, schema: str, table: str) -> tuple[list[str], list[str]]:
    """(every column, the primary key's columns) of a table."""
    cur.execute("SELECT a.attname, a.attnum = ANY(i.indkey) AS key FROM pg_attribute a"
                " LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary"
                " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                (f'"{schema}"."{table}"',))
    rows = [(r["attname"], r["key"]) for r in cur.fetchall()]
    return [n for n, _ in rows], [n for n, k in rows if k]


def sync_published(cur: Any, projection: str, fresh: str, live: str) -> None:
    """Before a rebuild's swap (same transaction): the live published tables made equal to the fresh ones, by
    primary key, so that every difference is published."""
    if projection not in PUBLISHED or not exists(cur):
        return
    for table in PUBLISHED[projection]:
        new_columns, key = _columns(cur, fresh, table)
        live_columns, _ = _columns(cur, live, table)
        columns = [c for c in new_columns if c in live_columns]  # an upgrade may have added a column
        rest = [c for c in columns if c not in key]
        old, new = sql.Identifier(live, table), sql.Identifier(fresh, table)
        ids = sql.SQL(", ").join(map(sql.Identifier, key))
        cur.execute(sql.SQL("DELETE FROM {} o WHERE NOT EXISTS (SELECT 1 FROM {} n WHERE ({}) = ({}))").format(
            old, new, sql.SQL(", ").join(sql.SQL("n.{}").format(sql.Identifier(k)) for k in key),
            sql.SQL(", ").join(sql.SQL("o.{}").format(sql.Identifier(k)) for k in key)))
        names = sql.SQL(", ").join(map(sql.Identifier, columns))
        if rest:
            update = sql.SQL("DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})").format(
                sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in rest),
                sql.SQL(", ").join(sql.SQL("{}.{}").format(sql.Identifier(table), sql.Identifier(c)) for c in rest),
                sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in rest))
        else:
            update = sql.SQL("DO NOTHING")
        cur.execute(sql.SQL("INSERT INTO {} AS {} ({}) SELECT {} FROM {} ON CONFLICT ({}) {}").format(
            old, sql.Identifier(table), names, names, new, ids, update))


def republish(cur: Any, projection: str) -> None:
    """After a rebuild's swap (same transaction): put the projection's new tables in the publication."""
    if projection not in PUBLISHED or not exists(cur):
        return
    province = _province(cur)
    if province is None:
        return
    cur.execute("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = %s", (PUBLICATION,))
    present = {(r["schemaname"], r["tablename"]) for r in cur.fetchall()}
    missing = [t for t in published_tables() if t[0] == f"rm_{projection}" and t not in present]
    if missing:
        cur.execute(sql.SQL("ALTER PUBLICATION {} ADD TABLE {}").format(
            sql.Identifier(PUBLICATION), sql.SQL(", ").join(_entry(s, t, province) for s, t in missing)))
