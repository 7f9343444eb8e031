"""Benchmark: month-end wage-slip ingest over HTTP, entitlement catch-up, and a raw asyncpg COPY of the same rows.

Prints figures; asserts nothing about time. Usage:

    .venv/bin/python benchmarks/month_end.py [--workshops 200] [--workers 100] [--months 10] [--concurrency 4]
                                              [--profile [--profile-sort cumulative|tottime]]

200 workshops × 100 workers × 10 months = 200,000 slips, uploaded as JSON in batches of 1,000 (10 workshops × one
month). Setup (registry, workshops, hires, certification) is done in-process and not timed. The API runs in its own
process with XIAOFEI_RUN_PROJECTORS=false, so ingest and catch-up are measured apart, as deploy/compose.yaml runs them.
Uses XIAOFEI_BENCH_DATABASE_URL (a server's maintenance database) or an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import msgspec
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.registry_import import bench_database, figures_table, rss_mb  # noqa: E402
from tests.helpers import households_csv, id_number  # noqa: E402
from xiaofei.bootstrap import build  # noqa: E402
from xiaofei.config import load_settings  # noqa: E402
from xiaofei.database import Database  # noqa: E402
from xiaofei.domain.codes import uscc_check_char  # noqa: E402
from xiaofei.domain.employment import Employment, Organisation, Workshop  # noqa: E402
from xiaofei.projectors.base import Projector  # noqa: E402
from xiaofei.projectors.employment import EmploymentProjection  # noqa: E402

COUNTY = "360724"
SECRET = "ab" * 32


def setup(dsn: str, workshops: int, workers: int, county: str = COUNTY, province: str = "江西省"
          ) -> tuple[str, list[uuid.UUID], list[str], str]:
    """Registry, organisation, workshops with hired workers, certification; returns (org, workshops, ids, token)."""
    services = build(load_settings({}, database_url=dsn, secret_key=SECRET), Database(dsn))
    try:
        total = workshops * workers
        services.registry.register_county(county, f"县{county}", province, "bench")
        services.importer.run(county, "bench.csv", households_csv(county, total, members=1, villages=100), "bench")
        services.policy.adopt_preset(county, "shangyou-2017", None, "bench")
        first17 = f"91{county}MA0BENCH0"[:17]
        org_code = first17 + uscc_check_char(first17)
        org = Organisation(credit_code=org_code, name="bench", form="enterprise", county=county, address="",
                           actor="bench")
        ids_ = [id_number(county, h, born="19700115") for h in range(total)]
        made: list[Workshop] = []
        for w in range(workshops):
            ws = Workshop(organisation=org_code, county=county, name=f"车间{w}", workshop_type="factory",
                          village_code=f"{county}100{w % 100 + 1:03d}", premises="", actor="bench")
            for i in range(workers):
                number = ids_[w * workers + i]
                ws.hire(Employment(employment_id=uuid.uuid4(), id_hash=services.registry.protector.hash(number),
                                   id_masked=number[:4] + "*" * 10 + number[-4:], name="工人",
                                   contract_type="labour_contract", start=date(2024, 1, 1), end=None,
                                   pay_form="monthly"), "bench")
            ws.certify(f"P-{w}", date(2024, 1, 1), "bench")
            org.add_workshop(ws.id)
            made.append(ws)
        services.app.record(org)
        for chunk in range(0, len(made), 5):
            services.app.record(*made[chunk:chunk + 5])
        token = services.access.issue("employer", [], org_code, "bench", "bench").secret
        services.catch_up()  # so the API (run without projectors) knows the token
        return org_code, [w.id for w in made], ids_, token
    finally:
        services.close()


def batches(workshops: list[uuid.UUID], ids_: list[str], workers: int, months: int) -> list[bytes]:
    out = []
    for m in range(1, months + 1):
        month = f"2024-{m:02d}"
        for start in range(0, len(workshops), 10):
            slips = []
            for w in range(start, min(start + 10, len(workshops))):
                for i in range(workers):
                    slips.append({"workshop_id": str(workshops[w]), "month": month, "id_number": ids_[w * workers + i],
                                  "gross_fen": 150000 + i, "days_worked": 22, "pay_date": f"{month}-28",
                                  "method": "bank", "bank_ref": f"{month}-{w}-{i}"})
            out.append(msgspec.json.encode({"slips": slips}))
    return out


async def ingest(base: str, org: str, token: str, bodies: list[bytes], concurrency: int) -> tuple[int, float]:
    accepted = 0
    queue = list(enumerate(bodies))
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:
        async def worker() -> None:
            nonlocal accepted
            while queue:
                i, body = queue.pop(0)
                r = await client.post(f"/organisations/{org}/wage-slips", content=body, headers={
                    "Authorization": f"Bearer {token}", "Content-Type": "application/json",
                    "Idempotency-Key": f"bench-batch-{i:05d}"})
                r.raise_for_status()
                accepted += r.json()["reported"]

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return accepted, time.perf_counter() - started


async def copy_baseline(dsn: str) -> tuple[int, float]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT * FROM rm_employment.slips")
        await conn.execute("CREATE TEMP TABLE copy_bench (LIKE rm_employment.slips INCLUDING ALL)")
        records = [tuple(r) for r in rows]
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("copy_bench", records=records, columns=list(rows[0].keys()))
        return len(records), time.perf_counter() - started
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workshops", type=int, default=200)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--months", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--api-workers", type=int, default=1, help="XIAOFEI_WORKERS for the API process")
    parser.add_argument("--profile", action="store_true", help="print where catch-up spends its time (cProfile)")
    parser.add_argument("--profile-sort", default="cumulative", choices=("cumulative", "tottime"),
                        help="order of the --profile listing: cumulative (callers) or tottime (own time)")
    args = parser.parse_args()

    with bench_database() as (dsn, _label):
        run(dsn, args)


def run(dsn: str, args: argparse.Namespace) -> None:
    proc = None
    try:
        t = time.perf_counter()
        org, workshops, ids_, token = setup(dsn, args.workshops, args.workers)
        bodies = batches(workshops, ids_, args.workers, args.months)
        total = sum(1 for _ in bodies) * 10 * args.workers
        print(f"setup: {len(ids_)} workers in {len(workshops)} workshops, {len(bodies)} batches "
              f"({total} slips) prepared in {time.perf_counter() - t:.1f}s; cores: {os.cpu_count()}")
        port = 8766
        env = {**os.environ, "XIAOFEI_DATABASE_URL": dsn, "XIAOFEI_PORT": str(port), "XIAOFEI_SECRET_KEY": SECRET,
               "XIAOFEI_RUN_PROJECTORS": "false", "XIAOFEI_LOG_LEVEL": "WARNING",
               "XIAOFEI_WORKERS": str(args.api_workers)}
        proc = subprocess.Popen([sys.executable, "-m", "xiaofei.cli", "serve"], env=env, stdout=subprocess.DEVNULL)
        for _ in range(400):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        accepted, seconds = asyncio.run(ingest(f"http://127.0.0.1:{port}", org, token, bodies, args.concurrency))
        print(f"ingest over HTTP: {accepted} slips in {seconds:.2f}s = {accepted / seconds:.0f} slips/s "
              f"({args.concurrency} concurrent uploads of 1,000)")
        peak_rss = rss_mb(proc.pid)
        print(f"API process peak RSS: {peak_rss:.0f} MB")
        proc.terminate()
        proc.wait(timeout=30)
        proc = None

        services = build(load_settings({}, database_url=dsn, secret_key=SECRET), Database(dsn))
        try:
            head = services.app.head_position()
            with psycopg.connect(dsn) as conn:
                slip_events = conn.execute("SELECT count(*) FROM xiaofei_events WHERE topic LIKE %s",
                                           ("%Payroll.SlipsReported",)).fetchone()[0]
            projector = Projector(services.app, EmploymentProjection, services.params, batch_size=1000)
            started = time.perf_counter()
            if args.profile:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.runcall(projector.run_until_idle)
                pstats.Stats(profiler).sort_stats(args.profile_sort).print_stats(30)
            else:
                projector.run_until_idle()
            catch_up = time.perf_counter() - started
            projector.close()
            with psycopg.connect(dsn) as conn:
                lines = conn.execute("SELECT count(*) FROM rm_employment.entitlements").fetchone()[0]
            print(f"employment catch-up (entitlements with explanations, certification months, flags): "
                  f"{accepted} slips ({slip_events} upload events, head {head}) in {catch_up:.2f}s "
                  f"= {accepted / catch_up:.0f} slips/s; {lines} entitlement lines")
        finally:
            services.close()
        rows, copy_s = asyncio.run(copy_baseline(dsn))
        print(f"raw asyncpg COPY of the same {rows} slip rows: {copy_s:.2f}s = {rows / copy_s:.0f} rows/s")
        print(f"ratio ingest / COPY: {accepted / seconds / (rows / copy_s):.3f}; "
              f"catch-up / COPY: {accepted / catch_up / (rows / copy_s):.3f}")
        figures_table("month_end.py", rows / copy_s, [
            (f"month-end slip ingest over HTTP ({args.api_workers} API worker(s))", accepted / seconds, "slips/s"),
            ("employment catch-up, slips → entitlement lines", accepted / catch_up, "slips/s"),
            ("API process peak RSS (all workers)", peak_rss, "MB")])
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
