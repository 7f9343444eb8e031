"""A sick database under a running ``xiaofei serve`` (issue 23 points 4 and 5), on a PostgreSQL server of the test's
own (never the machine's shared one): in recovery (every new connection refused with SQLSTATE 57P03, "the database
system is starting up / not accepting connections"), then frozen with SIGSTOP. Every answer is a 503 problem+json
with Retry-After in bounded time — never a 500, never a request that hangs with the database — and the service
carries on once the database is back."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import _free_port, bearer
from tests.serve_process import Served, serve
from tests.servers import Server, remove, unavailable

pytestmark = [pytest.mark.slow, pytest.mark.skipif(unavailable() is not None, reason=str(unavailable()))]

COUNTY = {"code": "360724", "name": "上犹县", "province": "江西省"}


def calls(served: Served) -> list[tuple[str, str, dict[str, str] | None]]:
    """A public probe, an authenticated read, a county read and a command."""
    return [("GET", "/health", None), ("GET", "/ready", None), ("GET", "/projections", None),
            ("GET", "/counties/421081/category-counts", None),
            ("POST", "/counties", {"code": "421081", "name": "石首市", "province": "湖北省"})]


async def answers(served: Served, timeout: float = 60) -> list[tuple[str, int, float, httpx.Response]]:
    """Every call of ``calls`` at once (twice each: more than one connection is wanted), with its time."""
    async with httpx.AsyncClient(base_url=served.base, headers=bearer(served.admin), timeout=timeout) as http:
        async def one(method: str, path: str, body: dict[str, str] | None) -> tuple[str, int, float, httpx.Response]:
            started = time.monotonic()
            r = await http.request(method, path, json=body)
            return path, r.status_code, time.monotonic() - started, r
        return list(await asyncio.gather(*(one(*c) for c in calls(served) * 2)))


def unavailable_answers(results: list[tuple[str, int, float, httpx.Response]], bound: dict[str, float]) -> None:
    for path, status_code, elapsed, r in results:
        assert status_code == 503, (path, status_code, r.text[:300])
        assert r.headers.get("Retry-After"), path
        if path not in ("/health", "/ready"):
            assert r.headers["content-type"].startswith("application/problem+json"), (path, r.headers)
            assert r.json()["status"] == 503
        assert elapsed < bound.get(path, bound["*"]), (path, elapsed)


def back(served: Served) -> None:
    deadline = time.monotonic() + 60  # a loaded CI machine: seconds, generously
    while True:
        r = httpx.post(f"{served.base}/counties", headers=bearer(served.admin), json=COUNTY, timeout=30)
        if r.status_code in (201, 409) and httpx.get(f"{served.base}/ready", timeout=30).status_code == 200:
            return
        assert time.monotonic() < deadline, (r.status_code, r.text[:300])
        time.sleep(0.2)


def test_a_database_in_recovery_then_frozen_gets_quick_503s_and_the_service_carries_on(tmp_path: Path) -> None:
    root = tmp_path / "pg"
    server = Server(root, "sick", _free_port()).init().start()
    try:
        server.execute("CREATE DATABASE xiaofei")
        with serve(tmp_path / "data", database_url=server.url("xiaofei"), db_connect_timeout="1",
                   db_statement_timeout="2", db_command_timeout="3") as served:
            assert httpx.post(f"{served.base}/counties", headers=bearer(served.admin), json=COUNTY).status_code == 201

            # point 4: restarted as a standby without hot standby, the server refuses every connection with 57P03
            # (CannotConnectNow: "the database system is starting up" while it replays, then "not accepting
            # connections") for as long as it stays so: 4–43 answers of each restart were 500s
            server.stop()
            (server.data / "standby.signal").touch()
            server.start(hot_standby="off")
            unavailable_answers(asyncio.run(answers(served)), {"*": 10})
            server.stop()
            (server.data / "standby.signal").unlink()
            server.start()
            back(served)

            # point 5: frozen (every server process stopped, as a hung host or a paused container): /health and
            # /ready answer within 2 s, other requests after the connection and statement bounds; before, /health
            # answered when the database did (20 s of SIGSTOP: 20 s)
            postmaster = psutil.Process(int((server.data / "postmaster.pid").read_text().splitlines()[0]))
            frozen = [postmaster, *postmaster.children(recursive=True)]
            for p in frozen:
                p.send_signal(signal.SIGSTOP)
            try:
                unavailable_answers(asyncio.run(answers(served)), {"/health": 2.5, "/ready": 2.5, "*": 9})
                unavailable_answers(asyncio.run(answers(served)), {"/health": 2.5, "/ready": 2.5, "*": 9})
            finally:
                for p in frozen:
                    p.send_signal(signal.SIGCONT)
            back(served)
    finally:
        server.stop()
        remove(root)
        assert not os.path.exists(root)
