"""Benchmark: N province deployments on this machine at month-end load, national reporting by logical replication.

Prints figures; asserts nothing about time. Usage:

    .venv/bin/python benchmarks/federation.py [--provinces 2] [--workshops 20] [--workers 50] [--months 3]

Each province is its own PostgreSQL server (pgserver's binaries, ``wal_level = logical``, started and removed by
the script, as ``tests/servers.py`` does for the tests) with its own ``xiaofei serve`` process running the
projectors in-process, as one small province deployment would. A national reporting server subscribes to every
province's publication (``xiaofei.national``). Every province's month-end slips are uploaded at the same time
(concurrency 2 each); then, per province: ingest slips/s, the time until every projection has applied the last
upload (events/s), and the national lag — from that moment until the reporting database shows the province's
county figures (slips and wages of its county rows) equal to the province's own. Ratios: each province's rates
against a raw asyncpg COPY of its own slip rows, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from psycopg.rows import dict_row

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.month_end import SECRET, batches, copy_baseline, ingest, setup  # noqa: E402
from benchmarks.registry_import import figures_table  # noqa: E402
from tests import servers  # noqa: E402
from tests.conftest import _free_port  # noqa: E402
from xiaofei.national import subscribe  # noqa: E402
from xiaofei.projectors.catalog import PROJECTIONS  # noqa: E402
from xiaofei.projectors.publication import publish, published_tables  # noqa: E402

PROVINCE_CODES = ["36", "42", "43", "45", "52", "53", "62", "63"]
FIGURES = ("SELECT coalesce(sum(slips), 0), coalesce(sum(wages_fen), 0) FROM rm_dashboard.area_months"
           " WHERE county = %s AND area_level = 'county'")


@dataclass
class Province:
    code: str
    server: servers.Server
    county: str
    port: int
    proc: subprocess.Popen[bytes] | None = None
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def dsn(self) -> str:
        return self.server.url("xiaofei")


def _positions(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return min(int(conn.execute(f"SELECT coalesce(max(notification_id), 0) FROM rm_{n}.tracking").fetchone()[0])
                   for n in PROJECTIONS)


def _head(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute("SELECT max(notification_id) FROM xiaofei_events").fetchone()[0])


def _serve(p: Province) -> None:
    env = {**os.environ, "XIAOFEI_DATABASE_URL": p.dsn, "XIAOFEI_PORT": str(p.port), "XIAOFEI_SECRET_KEY": SECRET,
           "XIAOFEI_PROVINCE": p.code, "XIAOFEI_LOG_LEVEL": "WARNING"}
    p.proc = subprocess.Popen([sys.executable, "-m", "xiaofei.cli", "serve"], env=env, stdout=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{p.port}/health").status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"province {p.code}'s API did not start")


async def _month_end(provinces: list[Province], prepared: dict[str, tuple[str, str, list[bytes]]]) -> None:
    async def one(p: Province) -> None:
        org, token, bodies = prepared[p.code]
        accepted, seconds = await ingest(f"http://127.0.0.1:{p.port}", org, token, bodies, 2)
        p.figures["slips"] = accepted
        p.figures["ingest"] = accepted / seconds
        p.figures["ingest_done"] = time.perf_counter()
    await asyncio.gather(*(one(p) for p in provinces))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--provinces", type=int, default=2, choices=range(1, len(PROVINCE_CODES) + 1))
    parser.add_argument("--workshops", type=int, default=20)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--months", type=int, default=3)
    args = parser.parse_args()
    reason = servers.unavailable()
    if reason:
        raise SystemExit(f"cannot start PostgreSQL servers here: {reason}")
    root = Path(tempfile.mkdtemp(prefix="xiaofei-federation-"))
    made: list[servers.Server] = []
    provinces: list[Province] = []
    try:
        t = time.perf_counter()
        prepared = {}
        for code in PROVINCE_CODES[:args.provinces]:
            server = servers.Server(root, f"province{code}", _free_port()).init().start()
            made.append(server)
            server.execute("CREATE DATABASE xiaofei")
            p = Province(code, server, f"{code}0724", _free_port())
            org, workshops, ids_, token = setup(p.dsn, args.workshops, args.workers, p.county, f"省{code}")
            prepared[code] = (org, token, batches(workshops, ids_, args.workers, args.months))
            with psycopg.connect(p.dsn, row_factory=dict_row) as conn, conn.cursor() as cur:
                publish(cur, code)
            provinces.append(p)
        national = servers.Server(root, "national", _free_port()).init().start()
        made.append(national)
        national.execute("CREATE DATABASE reporting")
        with psycopg.connect(national.url("reporting"), autocommit=True) as conn:
            for p in provinces:
                subscribe(conn, p.code, p.dsn)
        deadline = time.monotonic() + 300
        while national.execute("SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'",
                               database="reporting")[0][0]:
            assert time.monotonic() < deadline, "the first copies did not finish"
            time.sleep(0.2)  # every table's first copy done: from here on the lag is the stream's
        for p in provinces:
            _serve(p)
        print(f"setup: {len(provinces)} provinces, each {args.workshops * args.workers} workers in {args.workshops}"
              f" workshops, {args.months} months; national subscribed; {time.perf_counter() - t:.0f} s; "
              f"cores: {os.cpu_count()}")

        started = time.perf_counter()
        asyncio.run(_month_end(provinces, prepared))
        pending = {p.code: p for p in provinces}
        with psycopg.connect(national.url("reporting"), autocommit=True) as reporting:
            heads = {p.code: _head(p.dsn) for p in provinces}
            while pending:
                for code, p in list(pending.items()):
                    if "projected" not in p.figures and _positions(p.dsn) >= heads[code]:
                        p.figures["projected"] = time.perf_counter()
                        with psycopg.connect(p.dsn) as conn:
                            p.figures["own"] = conn.execute(FIGURES, (p.county,)).fetchone()  # type: ignore[assignment]
                    if "projected" in p.figures and reporting.execute(FIGURES, (p.county,)).fetchone() == p.figures["own"]:
                        p.figures["national"] = time.perf_counter()
                        del pending[code]
                time.sleep(0.05)
        wall = time.perf_counter() - started
        total = sum(p.figures["slips"] for p in provinces)
        print(f"month end of {len(provinces)} provinces at once: {total:.0f} slips, every province's figures in the "
              f"national database after {wall:.1f} s")
        for p in provinces:
            if p.proc is not None:
                p.proc.terminate()
                p.proc.wait(timeout=60)
                p.proc = None
            with psycopg.connect(p.dsn) as conn:
                events, log_bytes = conn.execute("SELECT count(*), pg_total_relation_size('xiaofei_events')"
                                                 " FROM xiaofei_events").fetchone()
                models = conn.execute("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n"
                                      " ON n.oid = c.relnamespace WHERE n.nspname LIKE 'rm\\_%' AND c.relkind = 'r'"
                                      ).fetchone()[0]
                published = sum(conn.execute("SELECT pg_total_relation_size(%s::regclass)", (f"{s_}.{t_}",)
                                             ).fetchone()[0] for s_, t_ in published_tables())
            print(f"province {p.code}: {events} events, event log {log_bytes / 2**20:.1f} MB "
                  f"({log_bytes / p.figures['slips']:.0f} B a slip, with the registry and setup events), read models "
                  f"{models / 2**20:.1f} MB, published tables {published / 2**10:.0f} kB for its one county")
            rows, copy_s = asyncio.run(copy_baseline(p.dsn))
            catch_up = p.figures["projected"] - started
            figures_table(f"federation.py — province {p.code} ({len(provinces)} provinces on this machine)",
                          rows / copy_s, [
                              ("month-end slip ingest over HTTP (2 concurrent uploads)", p.figures["ingest"],
                               "slips/s"),
                              ("ingest + every projection applied, from the first upload", p.figures["slips"] / catch_up,
                               "slips/s"),
                              ("national lag: projections applied → national figures equal",
                               p.figures["national"] - p.figures["projected"], "s")])
    finally:
        for p in provinces:
            if p.proc is not None:
                p.proc.terminate()
                p.proc.wait(timeout=60)
        for server in reversed(made):
            try:
                server.stop()
            except Exception as e:  # noqa: BLE001 - remove the rest anyway
                print(f"stopping {server.name}: {e}", file=sys.stderr)
        servers.remove(root)


if __name__ == "__main__":
    main()
