"""Several `xiaofei project` processes on one database (issue 12 §2, at the grain of a projection): one applies
each projection's batches, the others stand by; kill the one applying (SIGKILL, mid catch-up) and another carries
on from the last committed batch within seconds, nothing applied twice. Real processes, a real database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import households_csv
from xiaofei.bootstrap import build
from xiaofei.config import load_settings
from xiaofei.database import Database
from xiaofei.projectors.catalog import PROJECTIONS

HOUSEHOLDS = 2000
COUNTY = "360724"


@pytest.fixture
def loaded(fresh_dsn: str, tmp_path: Path) -> str:
    """A database with a county of HOUSEHOLDS households (2 members each) in its log, no projection applied."""
    services = build(load_settings({}, database_url=fresh_dsn, secret_key=TEST_SECRET, data_dir=str(tmp_path)),
                     Database(dsn=fresh_dsn))
    try:
        services.registry.register_county(COUNTY, "上犹县", "江西省", "test")
        services.importer.run(COUNTY, "h.csv", households_csv(COUNTY, HOUSEHOLDS), "test")
    finally:
        services.close()
    return fresh_dsn


def _positions(conn: psycopg.Connection) -> dict[str, int]:
    return {name: int(conn.execute(f"SELECT coalesce(max(notification_id), 0) FROM rm_{name}.tracking")
                      .fetchone()[0]) for name in PROJECTIONS}


def test_killing_the_projector_that_applies_hands_its_work_to_another(loaded: str, tmp_path: Path) -> None:
    env = {**os.environ, "XIAOFEI_DATABASE_URL": loaded, "XIAOFEI_SECRET_KEY": TEST_SECRET,
           "XIAOFEI_DATA_DIR": str(tmp_path), "XIAOFEI_LOG_LEVEL": "WARNING",
           "XIAOFEI_PROJECTION_BATCH_SIZE": "50"}  # small batches: the kill lands mid catch-up
    with psycopg.connect(loaded, autocommit=True) as conn:
        head = int(conn.execute("SELECT max(notification_id) FROM public.xiaofei_events").fetchone()[0])
        # given two projector processes on the same database
        logs = [tmp_path / "first.log", tmp_path / "second.log"]

        def start(log: Path) -> subprocess.Popen[bytes]:
            with log.open("wb") as out:
                return subprocess.Popen([sys.executable, "-m", "xiaofei.cli", "project"], env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=out)

        def said(log: Path) -> str:
            return log.read_text(errors="replace")[-3000:]

        first = start(logs[0])
        second = start(logs[1])  # each batch goes to whichever takes the projection's lock first
        try:
            deadline = time.monotonic() + 120
            while (registry := _positions(conn)["registry"]) < head // 4:
                assert time.monotonic() < deadline and first.poll() is None, said(logs[0])
                time.sleep(0.05)
            # when the one that applies is killed outright, mid catch-up
            at_kill = _positions(conn)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            assert min(at_kill.values()) < head, at_kill  # work was left to do
            # then the other carries every projection to the head of the log
            deadline = time.monotonic() + 180
            while min((now := _positions(conn)).values()) < head:
                assert time.monotonic() < deadline, f"stuck at {now} (head {head}) after the kill at {at_kill}"
                assert second.poll() is None, said(logs[1])
                time.sleep(0.2)
            # and nothing was applied twice or skipped: every household once, no partition halted
            assert conn.execute("SELECT count(*) FROM rm_registry.households").fetchone()[0] == HOUSEHOLDS
            assert conn.execute("SELECT count(*) FROM rm_registry.members").fetchone()[0] == 2 * HOUSEHOLDS
            for name in PROJECTIONS:
                assert conn.execute(f"SELECT count(*) FROM rm_{name}.halted_partitions").fetchone()[0] == 0, name
            assert registry >= head // 4
        finally:
            for proc in (first, second):
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=30)
        assert second.returncode == 0, said(logs[1])
