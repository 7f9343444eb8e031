"""The wage rule in SQL is the wage rule in Python.

Given random worker-months — several slips of one worker in one month across workshops (voided, unverified,
verified at an older version), a registry membership or none (categories changing, joining and leaving around the
month's end, ages near the bounds, both sexes, the same ID number in two households), certification periods
starting and ending around the month's end, and parameters drawn for the county (rate, cap that binds or not,
minimum days, wage floor, match ratio, eligible categories) — when the projection's set-based statement
(``projectors/employment/wages.py``) computes the lines, then every line's amount and eligibility equal those of
``rules.entitlements.wages.worker_month_lines``, whose document is what a reader sees (``explain.render``), and
every line's stored operands are the document's. Fixed seed (``XIAOFEI_PROPERTY_SEED`` replays another).
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.conftest import _drop_database, _fresh_database
from xiaofei.projectors.employment import explain
from xiaofei.projectors.employment.wages import wage_lines
from xiaofei.projectors.sqlfiles import ddl_statements

SEED = int(os.environ.get("XIAOFEI_PROPERTY_SEED", "20261207"))
TRIALS = 60
COUNTY = "360724"
MONTHS = ("2024-02", "2024-03", "2024-12")


@pytest.fixture(scope="module")
def conn(pg_server: str) -> Iterator[psycopg.Connection[Any]]:
    name, dsn = _fresh_database(pg_server)
    try:
        with psycopg.connect(dsn, row_factory=dict_row) as c:
            c.execute("CREATE SCHEMA rm_employment")
            c.execute("SET search_path TO rm_employment, public")
            for statement in ddl_statements("employment"):
                c.execute(statement)
            c.commit()
            yield c
    finally:
        _drop_database(pg_server, name)


def _facts(rng: random.Random, cur: psycopg.Cursor[Any]) -> tuple[list[uuid.UUID], list[str]]:
    """One trial's facts written into the read model's tables; returns the workshop-months to recompute."""
    for table in ("slips", "persons", "household_categories", "workshop_certifications", "parameters",
                  "entitlements"):
        cur.execute(f"TRUNCATE {table}")
    month = rng.choice(MONTHS)
    first = date.fromisoformat(month + "-01")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    near = [last - timedelta(days=1), last, last + timedelta(days=1), first, first - timedelta(days=40)]
    workshops = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(rng.randint(1, 3))]
    for w in workshops:
        for seq in range(rng.choice([0, 1, 1, 1, 2])):
            start = rng.choice(near + [first - timedelta(days=40)] * 4) if seq == 0 else last + timedelta(days=rng.randint(-3, 3))
            end = rng.choice([None, None, None, start + timedelta(days=rng.randint(1, 60))]) if seq == 0 else None
            cur.execute("INSERT INTO workshop_certifications (workshop_id, seq, plaque_number, certified_on, ends_on,"
                        " end_reason) VALUES (%s, %s, %s, %s, %s, %s)",
                        (w, seq + 1, f"P-{seq}", start, end, "closed" if end else None))
    workers = [f"h{n}" for n in range(rng.randint(1, 3))]
    for h in workers:
        for household in range(rng.choice([0, 1, 1, 1, 2])):
            number = f"{household:04d}{h}"
            birth = first.replace(year=first.year - rng.choice([15, 16, 17, 55, 56, 60, 61] * 2 + [30] * 12))
            birth += timedelta(days=rng.choice([-1, 0, 1, 100]))
            cur.execute("INSERT INTO persons (id_hash, county, household_number, person_number, birth_date, sex,"
                        " left_on, joined_on, id_masked, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
                        " now())", (h, COUNTY, number, "01", birth, rng.choice("MF"),
                                    rng.choice([None, None, last, last + timedelta(days=1)]),
                                    rng.choice([None, None, last, last + timedelta(days=1)]), "3607**"))
            for version in range(1, rng.randint(2, 4)):
                cur.execute("INSERT INTO household_categories VALUES (%s, %s, %s, %s, %s)",
                            (COUNTY, number, version, rng.choice(near + [date(2016, 1, 1)]),
                             rng.choice(["poor", "poor", "exited", "monitored", "ordinary"])))
    values = {"subsidy.worker_wage_rate": rng.choice(["0.20", "0.333333", "0.5", "0.125"]),
              "subsidy.worker_wage_cap_fen": rng.choice(["", "", "30000", "12345", "0"]),
              "subsidy.worker_min_days": rng.choice(["", "", "", "10", "22"]),
              "subsidy.worker_wage_floor_fen": rng.choice(["", "", "", "60000", "150000"]),
              "subsidy.employer_match_ratio": rng.choice(["1.0", "0.5", "0.333333"]),
              "worker.eligible_categories": rng.choice(["poor,exited,monitored", "poor,exited,monitored", "poor"])}
    for seq, (name, value) in enumerate(values.items(), start=1):
        cur.execute("INSERT INTO parameters VALUES (%s, %s, %s, %s, %s, NULL, 'test', 'transition')",
                    (COUNTY, seq, name, value, date(2017, 1, 1)))
    for n in range(rng.randint(1, 6)):
        version = rng.randint(1, 3)
        verified = rng.choice([None, version, version, version, version, version - 1])
        cur.execute("INSERT INTO slips (slip_id, workshop_id, organisation, county, month, employment_id, id_hash,"
                    " version, gross_fen, net_fen, days_worked, pieces, pay_date, method, bank_ref, payee_account,"
                    " voided, verified_version, verified_evidence) VALUES (%s, %s, 'org', %s, %s, %s, %s, %s, %s,"
                    " %s, %s, NULL, %s, 'bank', %s, 'acct', %s, %s, %s)",
                    (uuid.UUID(int=rng.getrandbits(128)), rng.choice(workshops), COUNTY, month, uuid.uuid4(),
                     rng.choice(workers), version, rng.choice([0, 1, 99999, 120001, 250000, 333333]),
                     1000, rng.choice([0, 5, 10, 22, 31]), last, f"ref{n}", rng.random() < 0.15, verified,
                     "statement line 3" if verified is not None else None))
    return workshops, [month] * len(workshops)


def test_the_set_based_wage_rule_gives_the_python_rules_lines(conn: psycopg.Connection[Any]) -> None:
    rng = random.Random(SEED)
    lines_seen = capped_seen = eligible_seen = 0
    for trial in range(TRIALS):
        with conn.cursor() as cur:
            workshops, months = _facts(rng, cur)
            wage_lines(cur, workshops, months)
            cur.execute("SELECT * FROM entitlements ORDER BY slip_id, subsidy")
            stored = cur.fetchall()
            cur.execute("SELECT county, id_hash, month, 'worker_wage' AS subsidy, NULL AS explanation FROM slips")
            keys = explain.worker_months(cur.fetchall())
            cur.execute(explain.psycopg_sql(explain.SLIPS_SQL), explain.key_arrays(keys))
            slips = cur.fetchall()
            cur.execute(explain.psycopg_sql(explain.PEOPLE_SQL), (sorted({k[1] for k in keys}),))
            people = cur.fetchall()
            cur.execute(explain.psycopg_sql(explain.CERTIFICATIONS_SQL), (sorted({s["workshop_id"] for s in slips},
                                                                                   key=str),))
            certs = cur.fetchall()
            cur.execute("SELECT name, value, scope, effective_from, effective_to, source, era, seq FROM parameters")
            from xiaofei.rules.parameters import ParameterVersion
            versions = [ParameterVersion(**r) for r in cur.fetchall()]
        conn.rollback()
        rendered = explain.render(slips, people, certs, lambda county: versions)
        assert len(stored) == 2 * len(slips), f"trial {trial} (seed {SEED})"
        assert {(r["slip_id"], r["subsidy"]) for r in stored} == set(rendered)
        for r in stored:
            doc = rendered[(r["slip_id"], r["subsidy"])]
            eligible = all(c["passed"] for c in doc["checks"])
            where = f"trial {trial} (seed {SEED}), slip {r['slip_id']} {r['subsidy']}: {doc}"
            assert (r["amount_fen"], r["eligible"]) == (doc["amount_fen"], eligible), where
            assert r["failed_checks"] == [c["code"] for c in doc["checks"] if not c["passed"]], where
            assert r["parameters_on"] == date.fromisoformat(doc["parameters_on"]), where
            if r["subsidy"] == "worker_wage":
                inputs = doc["inputs"]
                assert (r["base_fen"], r["rate"], r["uncapped_fen"], r["cap_fen"]) == (
                    inputs["gross_fen"], Decimal(inputs["rate"]), inputs["uncapped_fen"], inputs["cap_fen"]), where
                assert r["month_uncapped_fen"] == sum(inputs["worker_month_uncapped_fen"].values()), where
                capped_seen += any("cap" in a and "binds" in a for a in doc["arithmetic"])
                eligible_seen += eligible
            else:
                assert (r["base_fen"], r["rate"]) == (doc["inputs"]["worker_subsidy_fen"],
                                                      Decimal(doc["inputs"]["ratio"])), where
            lines_seen += 1
    # the draw reaches every branch that matters (else the property says little)
    assert lines_seen > 100 and capped_seen > 3 and eligible_seen > 10, (lines_seen, capped_seen, eligible_seen)
