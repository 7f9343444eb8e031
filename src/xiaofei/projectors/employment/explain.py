"""Explanations of wage-subsidy and matching lines, rendered when they are read.

The projection stores a wage line's amount and the operands of its arithmetic (``wages.py``); the document an
official, an employer or a claim reads is rendered here by the rule itself (``worker_month_lines``) over the facts
of the line's worker-month: its slips, the workshops' certification periods, the worker's registry membership and
the parameters in force. Those are the facts the line was computed from, since the projection recomputes a line
whenever one of them changes; ``tests/integration/test_wage_rule_sql.py`` holds the stored amounts to the rendered
documents. Each reader passes in rows it fetched with the SQL below (psycopg or asyncpg, same statements).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row

from xiaofei.domain.employment import month_bounds
from xiaofei.projectors.employment.lookups import (
    CERTIFICATIONS_SQL,
    PEOPLE_SQL,
    SLIPS_SQL,
    certification_facts,
    group_people,
    person_in_month,
    psycopg_sql,
)
from xiaofei.rules.entitlements import (
    CertificationFacts,
    SlipFacts,
    WorkerMonthSlip,
    worker_month_lines,
)
from xiaofei.rules.parameters import ParameterVersion, all_in_force

RENDERED = frozenset({"worker_wage", "employer_match"})
"""Subsidies whose lines are stored without a document (``explanation`` NULL) and rendered on read."""

__all__ = ["CERTIFICATIONS_SQL", "PEOPLE_SQL", "RENDERED", "SLIPS_SQL", "key_arrays", "psycopg_sql", "render",
           "render_psycopg", "worker_months"]

Key = tuple[str, str, str]
"""A worker-month: county, ID hash, month."""

def worker_months(rows: Iterable[Mapping[str, Any]]) -> list[Key]:
    """The worker-months of the lines among ``rows`` that need a rendered explanation."""
    return sorted({(str(r["county"]), str(r["id_hash"]), str(r["month"])) for r in rows
                   if r["subsidy"] in RENDERED and r["explanation"] is None})


def key_arrays(keys: Sequence[Key]) -> tuple[list[str], list[str], list[str]]:
    return [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]


def render(slips: Iterable[Mapping[str, Any]], people: Iterable[Mapping[str, Any]],
           certifications: Iterable[Mapping[str, Any]],
           versions: Callable[[str], list[ParameterVersion]]) -> dict[tuple[UUID, str], dict[str, Any]]:
    """The explanation of every wage and matching line of the worker-months whose slips are given, by
    (slip id, subsidy), as the rule writes it (parameters named, not yet expanded)."""
    groups: dict[Key, list[Mapping[str, Any]]] = defaultdict(list)
    for s in slips:
        groups[(s["county"], s["id_hash"], s["month"])].append(s)
    by_person = group_people(people)
    certs = certification_facts(certifications)
    out: dict[tuple[UUID, str], dict[str, Any]] = {}
    for (county, id_hash, month), group in groups.items():
        first, last = month_bounds(month)
        facts = [WorkerMonthSlip(SlipFacts(s["slip_id"], s["version"], s["gross_fen"], s["days_worked"], s["voided"],
                                           s["verified_version"], s["verified_evidence"]),
                                 certs.get(s["workshop_id"], CertificationFacts())) for s in group]
        params = all_in_force(versions(county), county, last)
        person = person_in_month(by_person.get(id_hash, []), last)
        for slip_id, lines in worker_month_lines(month, first, last, facts, person, params):
            for line in lines:
                out[(slip_id, line.subsidy)] = line.explanation
    return out


def render_psycopg(conn: Any, rows: Iterable[Mapping[str, Any]], versions: Mapping[str, list[ParameterVersion]],
                   schema: str = "") -> dict[tuple[UUID, str], dict[str, Any]]:
    """``render`` for the lines among ``rows`` that need it, their facts read through a psycopg connection (in the
    caller's transaction: the same snapshot as the lines, when the caller chose a repeatable read)."""
    keys = worker_months(rows)
    if not keys:
        return {}

    def fetch(statement: str, *args: Any) -> list[dict[str, Any]]:
        with conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(psycopg_sql(statement, schema), args).fetchall()

    slips = fetch(SLIPS_SQL, *key_arrays(keys))
    people = fetch(PEOPLE_SQL, sorted({k[1] for k in keys}))
    certs = fetch(CERTIFICATIONS_SQL, sorted({s["workshop_id"] for s in slips}, key=str))
    return render(slips, people, certs, versions.__getitem__)
