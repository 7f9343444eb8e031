"""Benchmark: household import over HTTP, projection catch-up, and a raw asyncpg COPY of the same rows.

Prints figures; asserts nothing about time. Usage:

    .venv/bin/python benchmarks/registry_import.py [--sizes 10000 100000]

Uses XIAOFEI_BENCH_DATABASE_URL (a server's maintenance database, e.g. postgresql://postgres@127.0.0.1:5432/postgres)
or, when unset, an embedded PostgreSQL. A fresh database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.helpers import households_csv  # noqa: E402
from xiaofei.application.app import XiaofeiApplication  # noqa: E402
from xiaofei.database import Database, start_embedded  # noqa: E402
from xiaofei.projectors.base import ConnectionParams, Projector  # noqa: E402
from xiaofei.projectors.registry import RegistryProjection  # noqa: E402


def fresh_database(server: str) -> tuple[str, str]:
    name = f"xiaofei_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = server.partition("?")
    return name, f"{base.rpartition('/')[0]}/{name}" + (f"?{query}" if query else "")


@contextmanager
def bench_database() -> Iterator[tuple[str, str]]:
    """A fresh database (dsn, label) on XIAOFEI_BENCH_DATABASE_URL's server or an embedded one; dropped after."""
    server_url = os.environ.get("XIAOFEI_BENCH_DATABASE_URL")
    embedded = None
    if not server_url:
        embedded = start_embedded(Path(tempfile.mkdtemp(prefix="xiaofei-bench-")))
        server_url = embedded.dsn
    name, dsn = fresh_database(server_url)
    try:
        yield dsn, "embedded" if embedded else server_url.split("@")[-1]
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if embedded:
            embedded.stop()


def start_server(dsn: str, port: int) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "XIAOFEI_DATABASE_URL": dsn, "XIAOFEI_PORT": str(port), "XIAOFEI_RUN_PROJECTORS": "true",
           "XIAOFEI_SECRET_KEY": "ab" * 32, "XIAOFEI_MAX_UPLOAD_BYTES": str(200_000_000), "XIAOFEI_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "xiaofei.cli", "serve"], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    token = ""
    for line in proc.stdout:
        if m := re.match(r"\s+(xf_\S+)", line):
            token = m.group(1)
        if "xiaofei on http" in line:
            break
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return proc, token
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def rss_mb(pid: int) -> float:
    """Peak resident memory of a process and its children (the HTTP workers), summed."""
    import psutil

    total = 0.0
    for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def figures_table(title: str, copy_rate: float, figures: list[tuple[str, float, str]]) -> None:
    """One table of a run's figures: (figure, value, unit); a rate's ratio to the run's raw COPY rate beside it
    (units ending in "/s"), the COPY itself as the last row."""
    print(f"\n{title}")
    print(f"{'figure':<58} {'value':>12} {'unit':<14} {'× COPY':>7}")
    for name, value, unit in [*figures, ("raw asyncpg COPY of the same rows", copy_rate, "rows/s")]:
        ratio = f"{value / copy_rate:.3f}" if unit.endswith("/s") else "—"
        shown = f"{value:>12,.2f}" if unit == "s" else f"{value:>12,.0f}"  # seconds: a lag well under one
        print(f"{name:<58} {shown} {unit:<14} {ratio:>7}")


async def copy_baseline(dsn: str) -> tuple[int, float]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT originator_id, originator_version, topic, state FROM xiaofei_events")
        await conn.execute("CREATE TEMP TABLE copy_bench (originator_id uuid, originator_version bigint, topic text,"
                           " state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))")
        records = [tuple(r) for r in rows]
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("copy_bench", records=records,
                                             columns=["originator_id", "originator_version", "topic", "state"])
        return len(records), time.perf_counter() - started
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()

    with bench_database() as (dsn, label):
        run(dsn, label, args.sizes)


def run(dsn: str, label: str, sizes: list[int]) -> None:
    port = 8765
    proc, admin = start_server(dsn, port)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
        print(f"database: {label}; cores: {os.cpu_count()}")
        print(f"{'households':>10} {'rows':>8} {'MB':>6} {'seconds':>8} {'households/s':>13} {'events/s':>9}")
        import_rates: list[float] = []
        for i, size in enumerate(sizes):
            county = f"9{i:02d}001"
            admin_h = {"Authorization": f"Bearer {admin}"}
            client.post("/counties", headers=admin_h, json={"code": county, "name": f"bench{i}", "province": "x"}
                        ).raise_for_status()
            official = client.post("/admin/tokens", headers=admin_h,
                                   json={"role": "county_official", "counties": [county]}).json()["token"]
            content = households_csv(county, size, villages=200)
            started = time.perf_counter()
            r = client.post(f"/counties/{county}/household-imports", content=content,
                            headers={"Authorization": f"Bearer {official}", "Content-Type": "text/csv"})
            elapsed = time.perf_counter() - started
            r.raise_for_status()
            assert r.json()["registered"] == size, r.text
            import_rates.append((size + 1) / elapsed)
            print(f"{size:>10} {2 * size:>8} {len(content) / 1e6:>6.1f} {elapsed:>8.2f} {size / elapsed:>13.0f} "
                  f"{(size + 1) / elapsed:>9.0f}")
        peak_rss = rss_mb(proc.pid)
        print(f"API process peak RSS: {peak_rss:.0f} MB")
        # Let the server's registry projector finish, so the catch-up below has both cores to itself (the
        # other projections, employment to dashboard, take far longer on 100,000 households; they are stopped).
        while any(p["lag"] for p in client.get("/projections", headers=admin_h).json() if p["name"] == "registry"):
            time.sleep(0.5)
        proc.terminate()
        proc.wait(timeout=30)

        env = Database(dsn=dsn).eventsourcing_env()
        app = XiaofeiApplication(env=env)
        try:
            head = app.head_position()
            projector = Projector(app, RegistryProjection, ConnectionParams.from_env(env), batch_size=1000,
                                  schema="rm_registry_bench")
            projector.setup()
            started = time.perf_counter()
            applied = projector.run_until_idle()
            catch_up = time.perf_counter() - started
            projector.close()
        finally:
            app.close()
        print(f"projection catch-up (registry, batches of 1,000): {applied} events in {catch_up:.2f}s "
              f"= {applied / catch_up:.0f} events/s (head {head})")
        rows, copy_s = asyncio.run(copy_baseline(dsn))
        copy_rate = rows / copy_s
        print(f"raw asyncpg COPY of the same {rows} stored events: {copy_s:.2f}s = {copy_rate:.0f} rows/s")
        print(f"ratio HTTP import events/s / COPY rows/s: {import_rates[-1] / copy_rate:.3f}")
        print(f"ratio catch-up events/s / COPY rows/s: {applied / catch_up / copy_rate:.2f}")
        figures_table("registry_import.py", copy_rate, [
            *((f"household import over HTTP, {size:,} households", rate, "events/s")
              for size, rate in zip(sizes, import_rates, strict=True)),
            ("registry catch-up, batches of 1,000", applied / catch_up, "events/s"),
            ("API process peak RSS (all its processes)", peak_rss, "MB")])
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
