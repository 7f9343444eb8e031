"""An outage of the (embedded) database, with a real kill: the service answers 503 + Retry-After within seconds
(never a 500 or a hung request), /health says so, the embedded server is started again by the service, and writes
and projections resume within seconds of its return."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import bearer
from tests.serve_process import serve


@pytest.mark.slow
def test_killing_the_embedded_database_gives_quick_503s_and_the_service_recovers(tmp_path: Path) -> None:
    with serve(tmp_path / "data") as served:
        base, admin = served.base, served.admin
        assert httpx.post(f"{base}/counties", headers=bearer(admin), json={
            "code": "421081", "name": "石首市", "province": "湖北省"}).status_code == 201

        pid = int((tmp_path / "data" / "pg" / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        for method, path, body in (("GET", "/health", None), ("GET", "/projections", None),
                                   ("POST", "/counties", {"code": "360724", "name": "上犹县", "province": "江西省"})):
            started = time.monotonic()
            r = httpx.request(method, f"{base}{path}", headers=bearer(admin), json=body, timeout=30)
            elapsed = time.monotonic() - started
            if r.status_code != 503:  # the supervisor may already have the database back
                assert r.status_code < 500, (path, r.status_code, r.text)
                continue
            assert elapsed < 10, (path, elapsed)
            assert r.headers.get("Retry-After"), path

        # the service starts the embedded server again; writes and projections resume within seconds
        deadline = time.monotonic() + 60  # seconds here; generous for a loaded CI machine
        while httpx.get(f"{base}/health", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "the embedded database was not started again"
            time.sleep(0.2)
        deadline = time.monotonic() + 30
        while True:
            r = httpx.post(f"{base}/counties", headers=bearer(admin), timeout=10,
                           json={"code": "360724", "name": "上犹县", "province": "江西省"})
            if r.status_code in (201, 409):
                break
            assert time.monotonic() < deadline, (r.status_code, r.text)
            time.sleep(0.2)
        deadline = time.monotonic() + 30
        while True:
            statuses = httpx.get(f"{base}/projections", headers=bearer(admin), timeout=10)
            if statuses.status_code == 200 and all(s["lag"] == 0 for s in statuses.json()):
                break
            assert time.monotonic() < deadline, statuses.text
            time.sleep(0.2)
