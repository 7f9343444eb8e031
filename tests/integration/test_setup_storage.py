"""Setup runs a read model's DDL only where this release's DDL stamp is missing (issue 12: a second projector
process starting beside a running one must not take DDL locks on the tables it writes)."""

from __future__ import annotations


import psycopg

from xiaofei.bootstrap import setup_storage
from xiaofei.database import Database
from xiaofei.projectors.base import ddl_stamp


def _stamp(conn: psycopg.Connection, schema: str) -> str | None:
    return conn.execute("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
                        (schema,)).fetchone()[0]


def test_setup_stamps_each_read_model_and_leaves_stamped_ones_alone(fresh_dsn: str) -> None:
    dsn = fresh_dsn
    database = Database(dsn=dsn)
    # given a fresh database, when set up, then every read model's schema carries its DDL stamp
    setup_storage(database)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert _stamp(conn, "rm_registry") == ddl_stamp("registry")
        # given a stamped read model (an index dropped by hand shows whether its DDL runs again)
        conn.execute("DROP INDEX rm_registry.households_by_village")
        # and one made by another release (its stamp differs), and one missing
        conn.execute("COMMENT ON SCHEMA rm_policy IS 'xiaofei-ddl:an-older-release'")
        conn.execute("DROP SCHEMA rm_access CASCADE")
    # when set up again
    setup_storage(database)
    with psycopg.connect(dsn, autocommit=True) as conn:
        # then the other release's and the missing one are set up (stamped now), the stamped one was left alone
        assert _stamp(conn, "rm_policy") == ddl_stamp("policy")
        assert _stamp(conn, "rm_access") == ddl_stamp("access")
        assert conn.execute("SELECT to_regclass('rm_access.tracking') IS NOT NULL").fetchone()[0]
        assert _stamp(conn, "rm_registry") == ddl_stamp("registry")
        assert conn.execute("SELECT to_regclass('rm_registry.households_by_village')").fetchone()[0] is None
        # (a read model changed by hand is not repaired by a restart: `xiaofei rebuild NAME` makes it afresh)
