"""Given the dashboard's statements, every upstream table they read carries the triggers that say which counties
a change touched: a table read but not watched would leave a county's rows stale until something else moved it."""

from __future__ import annotations

import re

from xiaofei.projectors.changes import WATCHED, trigger_ddl
from xiaofei.projectors.dashboard import sql

SCHEMAS = {sql.E: "employment", sql.C: "consumption", sql.I: "income", sql.R: "registry"}
GLOBAL = {("employment", "flags"), ("consumption", "flags")}  # open flags: recomputed for every county each batch


def test_every_upstream_table_the_dashboard_reads_is_watched() -> None:
    statements = " ".join([*sql.DERIVE, *sql.TEMP])
    read = {(SCHEMAS[s], t) for s, t in re.findall(r"\b(rm_[a-z]+)\.([a-z_]+)", statements)}
    assert read, "no upstream table found in the dashboard's statements"
    watched = {(p, t) for p, tables in WATCHED.items() for t in tables}
    assert read - GLOBAL <= watched, sorted(read - GLOBAL - watched)
    assert watched <= read | {("registry", "counties")}, sorted(watched - read)


def test_each_watched_table_gets_an_insert_update_and_delete_trigger() -> None:
    ddl = "\n".join(trigger_ddl("employment"))
    for table in WATCHED["employment"]:
        for op in ("INSERT", "UPDATE", "DELETE"):
            assert f"AFTER {op} ON {table} REFERENCING" in ddl, (table, op)
    assert trigger_ddl("access") == []
