"""What-if: entitlements recomputed over the real history under candidate parameters, without writing anything."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from psycopg.rows import dict_row

from xiaofei.domain.errors import FieldProblem, InvalidInput, invalid
from xiaofei.projectors.base import ConnectionParams
from xiaofei.projectors.employment import ParamsByMonth, parameter_versions, people_for, workshop_lines
from xiaofei.rules.parameters import ParameterVersion, parse_value


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


def what_if(params: ConnectionParams, county: str, period_from: str, period_to: str,
            overrides: list[Override]) -> list[EmployerDifference]:
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
    current: dict[str, int] = defaultdict(int)
    candidate: dict[str, int] = defaultdict(int)
    changed: dict[str, int] = defaultdict(int)
    with params.connect(row_factory=dict_row) as conn:
        conn.execute("SET TRANSACTION READ ONLY")
        conn.execute("SET LOCAL search_path TO rm_employment, public")
        cur = conn.cursor()
        versions: list[ParameterVersion] = parameter_versions(cur, county)
        top = max((v.seq for v in versions if v.scope == county), default=0)
        versions += [ParameterVersion(o.name, o.value, county, o.effective_from, o.effective_to,
                                      "what-if candidate", "transition", top + i + 1)
                     for i, o in enumerate(overrides)]
        params_for = ParamsByMonth(versions, county)
        cur.execute("SELECT * FROM workshops WHERE county = %s ORDER BY workshop_id", (county,))
        for ws in cur.fetchall():
            cur.execute("SELECT * FROM slips WHERE workshop_id = %s AND month BETWEEN %s AND %s",
                        (ws["workshop_id"], period_from, period_to))
            slips = cur.fetchall()
            if not slips:
                continue
            cur.execute("SELECT slip_id, subsidy, amount_fen FROM entitlements WHERE workshop_id = %s"
                        " AND month BETWEEN %s AND %s", (ws["workshop_id"], period_from, period_to))
            now = {(r["slip_id"], r["subsidy"]): r["amount_fen"] for r in cur.fetchall()}
            people = people_for(cur, {s["id_hash"] for s in slips})
            org = ws["organisation"]
            for s, line in workshop_lines(ws, slips, people, params_for):
                before = now.get((s["slip_id"], line.subsidy), 0)
                current[org] += before
                candidate[org] += line.amount_fen
                changed[org] += before != line.amount_fen
        conn.rollback()
    return [EmployerDifference(org, current[org], candidate[org], candidate[org] - current[org], changed[org])
            for org in sorted(current)]
