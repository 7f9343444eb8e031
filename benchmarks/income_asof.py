"""Benchmark: the income projection's catch-up with position-stamped facts, and the as-of reads.

Prints figures; asserts nothing about time. Usage:

    .venv/bin/python benchmarks/income_asof.py [--counties 5 --households 2000 --workers 400]

Each county gets ``households`` households of 3 and ``workers`` of their heads get verified slips for three
months; one household's 低保 is declared and then declared again, so as-of reads have something to differ on.
Measures: the rebuild of the income projection (events/s), an as-of household read and an as-of county summary
(each the median of several). Uses XIAOFEI_BENCH_DATABASE_URL or an embedded PostgreSQL (see registry_import.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.registry_import import bench_database  # noqa: E402
from tests.helpers import households_csv, id_number  # noqa: E402
from tests.income_given import given_verified_slips  # noqa: E402
from xiaofei.bootstrap import build  # noqa: E402
from xiaofei.config import load_settings  # noqa: E402
from xiaofei.database import Database  # noqa: E402
from xiaofei.projectors.base import rebuild  # noqa: E402
from xiaofei.projectors.income import IncomeProjection  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--counties", type=int, default=5)
    ap.add_argument("--households", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=400)
    args = ap.parse_args()
    with bench_database() as (dsn, label):
        settings = load_settings({}, database_url=dsn, secret_key="ab" * 32, run_projectors=False,
                                 data_dir=tempfile.mkdtemp(prefix="xiaofei-bench-"))
        s = build(settings, Database(dsn=dsn))
        try:
            counties = [f"53{23 + i:02d}01" for i in range(args.counties)]
            t0 = time.perf_counter()
            for county in counties:
                s.registry.register_county(county, f"县{county}", "云南省", "bench")
                s.importer.run(county, "h.csv", households_csv(county, args.households, members=3), "bench")
                heads = [s.employment.protector.hash(id_number(county, h * 3, born="19700115"))
                         for h in range(args.workers)]
                workshop = uuid4()
                for month in ("2025-01", "2025-02", "2025-03"):
                    given_verified_slips(s, f"91{county}MA0000001", county, workshop, month,
                                         [(h, 60_000) for h in heads])
            number = f"{counties[0]}H0000000"
            s.registry.declare_other_income(counties[0], number, 2025, "dibao", 200_000, "", "bench")
            known = s.app.head_position()
            s.registry.declare_other_income(counties[0], number, 2025, "dibao", 260_000, "复核", "bench")
            head = s.app.head_position()
            print(f"database {label}: {head} events written in {time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()
            applied = rebuild(s.app, IncomeProjection, s.params)
            took = time.perf_counter() - t0
            print(f"income rebuild: {applied} events in {took:.1f} s = {applied / took:,.0f} events/s")
            try:
                from xiaofei.application import income_asof
                from xiaofei.queries.income import IncomeAsOf
            except ImportError:
                print("(no as-of reads in this checkout)")
                return
            with s.params.connect() as conn:
                sizes = conn.execute("SELECT (SELECT count(*) FROM rm_income.slips_replaced),"
                                     " pg_total_relation_size('rm_income.slips_replaced'),"
                                     " pg_total_relation_size('rm_income.log_positions'),"
                                     " pg_total_relation_size('rm_income.slips')").fetchone()
            print(f"replaced slip states {sizes[0]} ({sizes[1] / 1e6:.1f} MB), log_positions {sizes[2] / 1e6:.1f} MB,"
                  f" slips {sizes[3] / 1e6:.1f} MB")
            at = IncomeAsOf(position=known, recorded_at=None, asked="bench")
            runs = []
            for _ in range(15):
                t0 = time.perf_counter()
                answer = income_asof.household_year(s.params, counties[0], number, 2025, at, after=None, limit=100)
                runs.append(time.perf_counter() - t0)
            assert answer is not None and answer.categories[3].amount_fen == 200_000
            print(f"as-of household read: median {statistics.median(runs) * 1000:.0f} ms")
            runs = []
            for _ in range(5):
                t0 = time.perf_counter()
                summary = income_asof.county_summary(s.params, counties[0], 2025, at)
                runs.append(time.perf_counter() - t0)
            print(f"as-of county summary ({summary.households} households, {args.workers * 3} slips): median "
                  f"{statistics.median(runs) * 1000:.0f} ms")
        finally:
            s.close()


if __name__ == "__main__":
    main()
