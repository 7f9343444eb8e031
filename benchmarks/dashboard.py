"""Benchmark: the read side on a province-year (`xiaofei demo --scale province`).

1. Loads the province-year through the application services (as `xiaofei demo --scale` does) and says how long.
2. Rebuilds every projection from the start of the log, one after another (registry … income, dashboard): events
   per second each, beside a raw asyncpg COPY of the same event rows into a scratch table in the same run.
3. Adds one county of 100,000 households (the household import; its income rows are the export's rows).
4. Starts the API in its own process (XIAOFEI_RUN_PROJECTORS=false, as deploy/compose.yaml runs it) and has
   ``--clients`` concurrent clients read, each for ``--seconds``: a trivial authenticated GET (``GET /counties``
   with an admin token: the same authentication, then one asyncpg query), a county's dashboard of the year
   (``GET /counties/{county}/dashboard``), and its township table (``GET /counties/{county}/dashboard/areas``);
   counties at random. Prints req/s, p50/p99 and each read's ratio to the GET (targets ≥ 0.7, p99 < 25 ms).
5. Streams the 100,000-household income export (CSV) and prints seconds and the API process's peak RSS.

Prints figures and ratios; asserts nothing about time. Usage:

    .venv/bin/python benchmarks/dashboard.py [--scale province|small|tiny] [--clients 64] [--seconds 10]
                                             [--export-households 100000] [--api-workers 1]
                                             [--rebuild all|income,dashboard,…]

Uses XIAOFEI_BENCH_DATABASE_URL (a server's maintenance database) or an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.orders import Connection, load, report, start_api  # noqa: E402
from benchmarks.registry_import import bench_database, rss_mb  # noqa: E402
from xiaofei.bootstrap import build  # noqa: E402
from xiaofei.config import load_settings  # noqa: E402
from xiaofei.database import Database  # noqa: E402
from xiaofei.demo_province import (  # noqa: E402
    PROVINCE,
    SCALES,
    county_codes,
    household_number,
    households_csv,
    load_province,
)
from xiaofei.domain.registry import Household  # noqa: E402
from xiaofei.projectors.base import rebuild  # noqa: E402
from xiaofei.projectors.catalog import PROJECTIONS  # noqa: E402

SECRET = "cd" * 32
PORT = 8768
BIG_COUNTY = "369921"


async def copy_events(dsn: str, table: str) -> tuple[int, float]:
    """COPY every event row of the log into a scratch table of the same shape: (rows, seconds)."""
    conn = await asyncpg.connect(dsn)
    try:
        records = await conn.fetch(f"SELECT * FROM {table} ORDER BY notification_id")
        await conn.execute(f"CREATE TEMP TABLE copy_events (LIKE {table})")
        columns = list(records[0].keys()) if records else []
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("copy_events", records=[tuple(r) for r in records], columns=columns)
        return len(records), time.perf_counter() - started
    finally:
        await conn.close()


def declare_incomes(services: Any, households: int, year: int) -> None:
    """Each household of the export county declares a year's migrant wages (so each has a row of income)."""
    for start in range(0, households, 1000):
        batch = []
        for n in range(start + 1, min(households, start + 1000) + 1):
            h = services.app.repository.get(Household.create_id(BIG_COUNTY, household_number(BIG_COUNTY, n)))
            h.declare_other_income(year, "migrant_wages", 600_000 + 100 * (n % 997), "外出务工（县人社局登记）", "bench")
            batch.append(h)
        services.app.record(*batch)


def setup(dsn: str, args: argparse.Namespace) -> tuple[list[str], str, str, int]:
    """Load the province-year, rebuild each projection, add the export county; (counties, admin token, official
    token, head position)."""
    services = build(load_settings({}, database_url=dsn, secret_key=SECRET), Database(dsn))
    try:
        scale = SCALES[args.scale]
        loaded = load_province(services, scale, progress_to=sys.stderr)
        head = services.app.head_position()
        print(f"load --scale {args.scale}: {loaded.counties} counties, {loaded.households:,} households, "
              f"{loaded.workers:,} workers, {loaded.slips:,} wage slips, {loaded.channel_rows:,} channel sales, "
              f"{loaded.orders:,} orders = {head:,} events in {loaded.seconds:.0f}s "
              f"({head / loaded.seconds:,.0f} events/s)")
        recorder = services.app.recorder
        table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
        rows, copy_s = asyncio.run(copy_events(dsn, table))
        copy_rate = rows / copy_s
        print(f"raw asyncpg COPY of the {rows:,} event rows: {copy_s:.2f}s = {copy_rate:,.0f} rows/s")
        chosen = list(PROJECTIONS) if args.rebuild == "all" else args.rebuild.split(",")
        if chosen != list(PROJECTIONS):  # the others catch up first (the derived dashboard reads what they hold)
            started = time.perf_counter()
            services.catch_up()
            print(f"catch-up of every projection after the load: {time.perf_counter() - started:.1f}s")
        print(f"{'projection':<12} {'events':>10} {'applied':>10} {'seconds':>8} {'events/s':>10} {'× COPY':>8}")
        for name, projection in PROJECTIONS.items():
            if name not in chosen:
                continue
            started = time.perf_counter()
            applied = rebuild(services.app, projection, services.params,
                              batch_size=services.settings.projection_batch_size)
            seconds = time.perf_counter() - started
            print(f"{name:<12} {head:>10,} {applied:>10,} {seconds:>8.1f} {head / seconds:>10,.0f} "
                  f"{head / seconds / copy_rate:>8.3f}", flush=True)
        services.registry.register_county(BIG_COUNTY, "演示大县", PROVINCE, "bench")
        content, _ = households_csv(BIG_COUNTY, args.export_households, seed=99)
        started = time.perf_counter()
        result = services.importer.run(BIG_COUNTY, "big.csv", content, "bench")
        print(f"export county {BIG_COUNTY}: {result.registered:,} households imported in "
              f"{time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        declare_incomes(services, args.export_households, date.today().year)
        print(f"export county: a declared migrant wage for each household ({args.export_households:,} events, "
              f"1,000 a transaction) in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        services.catch_up()
        print(f"catch-up after the import: {time.perf_counter() - started:.1f}s")
        counties = [c for c, _ in county_codes(scale.counties)]
        admin = services.access.issue("admin", [], None, "bench", "bench").secret
        official = services.access.issue("county_official", [*counties, BIG_COUNTY], None, "bench", "bench").secret
        services.catch_up()
        return counties, admin, official, head
    finally:
        services.close()


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]  # figures as they come
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=list(SCALES), default="province")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--export-households", type=int, default=100_000)
    parser.add_argument("--api-workers", type=int, default=1, help="XIAOFEI_WORKERS for the API process")
    parser.add_argument("--rebuild", default="all",
                        help="projections to rebuild from the start of the log, comma-separated (default all); the "
                             "others catch up after the load")
    args = parser.parse_args()
    unknown = set(args.rebuild.split(",")) - set(PROJECTIONS) - {"all"}
    if unknown:
        parser.error(f"--rebuild: unknown projections {', '.join(sorted(unknown))} (known: {', '.join(PROJECTIONS)})")
    with bench_database() as (dsn, label):
        print(f"database {label}; cores: {os.cpu_count()}")
        run(dsn, args)


def run(dsn: str, args: argparse.Namespace) -> None:
    counties, admin, official, _ = setup(dsn, args)
    year = date.today().year
    env = {**os.environ, "XIAOFEI_DATABASE_URL": dsn, "XIAOFEI_PORT": str(PORT), "XIAOFEI_SECRET_KEY": SECRET,
           "XIAOFEI_RUN_PROJECTORS": "false", "XIAOFEI_LOG_LEVEL": "WARNING", "XIAOFEI_WORKERS": str(args.api_workers)}
    proc = start_api(env, PORT)
    base = f"http://127.0.0.1:{PORT}"
    try:
        admin_h = {"Authorization": f"Bearer {admin}"}
        official_h = {"Authorization": f"Bearer {official}"}

        async def get(http: Connection, n: int, i: int) -> tuple[int, bytes]:
            return await http.request("GET", "/counties", admin_h)

        async def summary(http: Connection, n: int, i: int) -> tuple[int, bytes]:
            return await http.request("GET", f"/counties/{random.choice(counties)}/dashboard?year={year}", official_h)

        async def townships(http: Connection, n: int, i: int) -> tuple[int, bytes]:
            return await http.request("GET", f"/counties/{random.choice(counties)}/dashboard/areas?year={year}",
                                      official_h)

        asyncio.run(load(PORT, args.clients, 1.0, get))  # warm up connections and caches
        rates = {}
        for what, request in (("GET /counties", get), ("county dashboard", summary), ("township table", townships)):
            rates[what] = report(f"{what} ({args.clients} clients)",
                                 *asyncio.run(load(PORT, args.clients, args.seconds, request)))
        for what in ("county dashboard", "township table"):
            print(f"ratio {what} / GET: {rates[what] / rates['GET /counties']:.3f} (target 0.7)")
        print(f"API process peak RSS after the reads: {rss_mb(proc.pid):.0f} MB")
        started = time.perf_counter()
        rows = size = 0
        with httpx.stream("GET", f"{base}/counties/{BIG_COUNTY}/household-incomes/export?year={year}",
                          headers=official_h, timeout=1800) as r:
            r.raise_for_status()
            for line in r.iter_lines():
                rows += 1
                size += len(line)
        seconds = time.perf_counter() - started
        print(f"household-income export of county {BIG_COUNTY}: {rows - 1:,} rows ({size / 1e6:.1f} MB CSV) in "
              f"{seconds:.1f}s = {(rows - 1) / seconds:,.0f} rows/s; API process peak RSS {rss_mb(proc.pid):.0f} MB")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
