"""What-if: every entitlement recomputed over the real history under candidate parameters, without writing anything.

It runs the employment projection's own recomputation (``recompute_entitlements``) inside one repeatable-read
transaction, against temporary copies of the rows it writes (entitlements, certification months) and of the
parameter versions with the candidates added as the newest county-scope versions; the transaction is rolled back,
so the live read model is never touched and the numbers come from exactly the code that computes the real ones.
The county's households are then recomputed by the income projection's own code under the same candidates, plus the
worker wage subsidy changes, and those whose year changes are reported (``whatif_households``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

import psycopg
from psycopg.rows import DictRow, dict_row

from xiaofei.application.whatif_households import WORKER, HouseholdDifference, WorkerLine, households
from xiaofei.domain.errors import FieldProblem, InvalidInput, invalid
from xiaofei.projectors.base import ConnectionParams
from xiaofei.projectors.employment import recompute_entitlements
from xiaofei.rules.parameters import parse_value

_SCRATCH = ("entitlements", "workshop_months", "parameters")


@dataclass(frozen=True)
class Override:
    name: str
    value: str
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True)
class EmployerDifference:
    organisation: str
    current_fen: int
    candidate_fen: int
    difference_fen: int
    lines_changed: int


@dataclass(frozen=True)
class SubsidyDifference:
    subsidy: str
    current_fen: int
    candidate_fen: int
    difference_fen: int


@dataclass(frozen=True)
class WhatIfResult:
    county: str
    period_from: str
    period_to: str
    current_fen: int
    candidate_fen: int
    difference_fen: int
    lines_changed: int
    by_subsidy: list[SubsidyDifference] = field(default_factory=list)
    employers: list[EmployerDifference] = field(default_factory=list)
    households: list[HouseholdDifference] = field(default_factory=list)
    households_elsewhere: int = 0


def _check(overrides: list[Override], period_from: str, period_to: str) -> None:
    problems = []
    for i, o in enumerate(overrides):
        try:
            parse_value(o.name, o.value)
        except InvalidInput as e:
            problems.extend(FieldProblem(f"overrides[{i}].{p.field}", p.reason) for p in e.problems)
        if o.effective_to is not None and o.effective_to < o.effective_from:
            problems.append(FieldProblem(f"overrides[{i}].effective_to", "must not be before effective_from"))
    if problems:
        raise InvalidInput(problems)
    if period_to < period_from:
        raise invalid("period_to", "must not be before period_from")


def what_if(params: ConnectionParams, county: str, period_from: str, period_to: str,
            overrides: list[Override]) -> WhatIfResult:
    _check(overrides, period_from, period_to)
    with params.connect(row_factory=dict_row) as conn:
        cur = conn.cursor()
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SET LOCAL search_path TO rm_employment, public")
        for table in _SCRATCH:
            cur.execute(f"CREATE TEMP TABLE {table} (LIKE rm_employment.{table} INCLUDING ALL) ON COMMIT DROP")
        # Temporary tables come first in the search path: from here on the recomputation writes only the copies.
        cur.execute("SET LOCAL search_path TO pg_temp, rm_employment, public")
        cur.execute("INSERT INTO pg_temp.entitlements SELECT * FROM rm_employment.entitlements WHERE county = %s",
                    (county,))
        cur.execute("INSERT INTO pg_temp.parameters SELECT * FROM rm_employment.parameters")
        cur.execute("SELECT coalesce(max(seq), 0) AS top FROM pg_temp.parameters WHERE scope = %s", (county,))
        top = cur.fetchone()["top"]  # type: ignore[index]
        cur.executemany("INSERT INTO pg_temp.parameters VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        [(county, top + i + 1, o.name, o.value, o.effective_from, o.effective_to,
                          "what-if candidate", "transition") for i, o in enumerate(overrides)])
        workers: dict[Key, tuple[str, str]] = {}
        now = _amounts(cur, county, period_from, period_to, workers)
        cur.execute("SELECT DISTINCT workshop_id, month FROM slips WHERE county = %s", (county,))
        dirty = {(r["workshop_id"], r["month"]) for r in cur.fetchall()}
        cur.execute("SELECT DISTINCT p.id_hash FROM trainings t JOIN trainees p USING (training_id)"
                    " WHERE t.county = %s", (county,))
        trainees = {r["id_hash"] for r in cur.fetchall()}
        cur.execute("SELECT DISTINCT workshop_id, month FROM workshop_costs c JOIN workshops w USING (workshop_id)"
                    " WHERE w.county = %s", (county,))
        dirty |= {(r["workshop_id"], r["month"]) for r in cur.fetchall()}
        recompute_entitlements(cur, dirty, trainees)
        then = _amounts(cur, county, period_from, period_to, workers)
        years = list(range(int(period_from[:4]), int(period_to[:4]) + 1))
        reached, elsewhere = households(
            cur, county, years, [(o.name, o.value, o.effective_from, o.effective_to) for o in overrides],
            [WorkerLine(h, month, then.get(key, 0) - now.get(key, 0)) for key, (h, month) in workers.items()])
        conn.rollback()
    result = _compare(county, period_from, period_to, now, then)
    return replace(result, households=reached, households_elsewhere=elsewhere)


Key = tuple[object, str, str]  # (line key, subsidy, organisation)


def _amounts(cur: psycopg.Cursor[DictRow], county: str, period_from: str, period_to: str,
             workers: dict[Key, tuple[str, str]]) -> dict[Key, int]:
    """The entitlement lines of the county's months in the period; those paid to a worker are noted in
    ``workers`` (key → the worker's ID hash and the month)."""
    cur.execute("SELECT slip_id, subsidy, organisation, amount_fen, payee, id_hash, month FROM entitlements"
                " WHERE county = %s AND month BETWEEN %s AND %s", (county, period_from, period_to))
    out = {}
    for r in cur.fetchall():
        key = (r["slip_id"], r["subsidy"], r["organisation"])
        out[key] = int(r["amount_fen"])
        if r["payee"] == WORKER:
            workers[key] = (r["id_hash"], r["month"])
    return out


def _compare(county: str, period_from: str, period_to: str, now: dict[Key, int], then: dict[Key, int]
             ) -> WhatIfResult:
    current: dict[str, int] = defaultdict(int)
    candidate: dict[str, int] = defaultdict(int)
    changed: dict[str, int] = defaultdict(int)
    by_subsidy: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key in now.keys() | then.keys():
        _, subsidy, org = key
        before, after = now.get(key, 0), then.get(key, 0)
        current[org] += before
        candidate[org] += after
        changed[org] += before != after
        by_subsidy[subsidy][0] += before
        by_subsidy[subsidy][1] += after
    employers = [EmployerDifference(org, current[org], candidate[org], candidate[org] - current[org], changed[org])
                 for org in sorted(current)]
    return WhatIfResult(
        county, period_from, period_to, sum(current.values()), sum(candidate.values()),
        sum(candidate.values()) - sum(current.values()), sum(changed.values()),
        [SubsidyDifference(s, a, b, b - a) for s, (a, b) in sorted(by_subsidy.items())], employers)
