"""The connections a ``xiaofei serve`` holds follow its pool settings as ``deploy/CAPACITY.md`` "Database
connections" counts them (issue 26.9): an operator sizing ``max_connections`` or a pooler can rely on the sum."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest

from tests.serve_process import serve

pytestmark = pytest.mark.slow

PROJECTIONS = 7


def test_the_pool_settings_bound_the_connections_a_serve_holds(tmp_path: Path, fresh_dsn: str) -> None:
    database = urlparse(fresh_dsn).path.lstrip("/")
    sizes = {"db_pool_size": 2, "db_write_pool_size": 1, "projector_pool_size": 1}
    # CAPACITY.md: API DB_POOL_SIZE + 2 × DB_WRITE_POOL_SIZE + 1 (a claim's own); projectors, per projection
    # PROJECTOR_POOL_SIZE + 1 and one LISTEN (their log reads share the write pool)
    at_most = sizes["db_pool_size"] + 2 * sizes["db_write_pool_size"] + 1 + PROJECTIONS * (
        sizes["projector_pool_size"] + 1 + 1)
    with serve(tmp_path / "data", database_url=fresh_dsn, **{k: str(v) for k, v in sizes.items()}) as served:
        with psycopg.connect(fresh_dsn, autocommit=True) as conn:
            held = []
            for _ in range(20):  # a few seconds of the started service, projectors following
                held.append(conn.execute("SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = %s",
                                         (database,)).fetchone()[0])
                time.sleep(0.25)
        assert served.process.poll() is None
    # the defaults hold 34 (CAPACITY.md); these settings far fewer, and never more than the documented sum
    assert PROJECTIONS * 2 <= max(held) <= at_most, (held, at_most)
