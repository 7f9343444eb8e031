"""Entitlements recomputed from the facts in the tables for everything a batch's changes can reach (a function of
the facts, whatever the batching); what-if runs the same code over temporary copies of the rows it writes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID, uuid5

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from xiaofei.domain.employment import month_bounds
from xiaofei.projectors.base import copy_rows
from xiaofei.projectors.employment.lookups import (
    ParamsByCounty,
    ParamsByMonth,
    certifications_for,
    people_for,
    person_in_month,
    workshop_rows,
)
from xiaofei.projectors.employment.wages import wage_lines
from xiaofei.rules.entitlements import (
    CertificationFacts,
    EligibleMonth,
    SlipFacts,
    Trainee,
    certification_months,
    counts_for_certification,
    hiring_award_lines,
    months_before,
    rent_line,
    training_lines,
)

LINE_COLUMNS = ("slip_id", "subsidy", "county", "organisation", "workshop_id", "month", "payee", "id_hash",
                "slip_version", "amount_fen", "eligible", "explanation")
"""The columns of a line whose explanation is computed and stored with it (awards, training, rent)."""

CERTIFICATION_LOOKBACK = 12
"""Months of history a change can reach (``workshop.min_employment_months`` is at most this)."""


def recompute_entitlements(cur: psycopg.Cursor[DictRow], dirty: set[tuple[UUID, str]], trainees: set[str]) -> None:
    """Every entitlement the changed workshop-months and people can reach, from the facts now in the tables
    (a function of the facts, whatever the batch). Also what what-if runs, over temporary copies of the rows."""
    touched = recompute_workshops(cur, dirty)
    recompute_hiring_awards(cur, touched | {w for w, _ in dirty})
    recompute_training(cur, trainees)


def recompute_workshops(cur: psycopg.Cursor[DictRow], dirty: set[tuple[UUID, str]]) -> set[UUID]:
    """Wage-subsidy lines of every worker-month the dirty workshop-months touch; certification months and rent
    of the dirty workshops. Returns the workshops whose wage lines were recomputed."""
    if not dirty:
        return set()
    pairs = sorted(dirty, key=str)
    touched = wage_lines(cur, [w for w, _ in pairs], [m for _, m in pairs])
    ids = sorted({w for w, _ in dirty}, key=str)
    first_dirty = {w: min(m for x, m in dirty if x == w) for w in ids}
    workshops = workshop_rows(cur, ids)
    # Only the months a change can reach: from CERTIFICATION_LOOKBACK months before the first dirty month.
    cur.execute("SELECT s.* FROM slips s JOIN unnest(%s::uuid[], %s::text[]) AS d(workshop_id, since)"
                " ON s.workshop_id = d.workshop_id AND s.month >= d.since",
                (ids, [months_before(first_dirty[w], CERTIFICATION_LOOKBACK - 1) for w in ids]))
    slips_of: dict[UUID, list[DictRow]] = defaultdict(list)
    for row in cur.fetchall():
        slips_of[row["workshop_id"]].append(row)
    people = people_for(cur, {r["id_hash"] for rows in slips_of.values() for r in rows})
    since_list = [first_dirty[w] for w in ids]
    cur.execute("DELETE FROM workshop_months m USING unnest(%s::uuid[], %s::text[]) AS d(workshop_id, since)"
                " WHERE m.workshop_id = d.workshop_id AND m.month >= d.since", (ids, since_list))
    cur.execute("DELETE FROM entitlements e USING unnest(%s::uuid[], %s::text[]) AS d(workshop_id, since)"
                " WHERE e.workshop_id = d.workshop_id AND e.month >= d.since AND e.subsidy = 'rent_utilities'",
                (ids, since_list))
    cur.execute("SELECT c.workshop_id, c.month, sum(c.amount_fen) AS total,"
                " array_agg(c.kind || ': ' || c.evidence ORDER BY c.kind) AS evidence FROM workshop_costs c"
                " JOIN unnest(%s::uuid[], %s::text[]) AS d(workshop_id, since)"
                " ON c.workshop_id = d.workshop_id AND c.month >= d.since GROUP BY c.workshop_id, c.month"
                " ORDER BY c.workshop_id, c.month", (ids, since_list))
    costs_of: dict[UUID, list[DictRow]] = defaultdict(list)
    for row in cur.fetchall():
        costs_of[row["workshop_id"]].append(row)
    params = ParamsByCounty(cur)
    certs = certifications_for(cur, set(ids))
    rows: list[tuple[Any, ...]] = []
    month_rows: list[tuple[Any, ...]] = []
    for workshop_id in ids:
        ws = workshops[workshop_id]
        params_for = params.monthly(ws["county"])
        eligible, staff, months_rows = certification_month_rows(workshop_id, slips_of[workshop_id], people,
                                                             params_for, first_dirty[workshop_id])
        month_rows.extend(months_rows)
        rows.extend(rent_rows(ws, certs.get(workshop_id, CertificationFacts()), costs_of[workshop_id], eligible,
                               staff, params_for))
    copy_rows(cur, "entitlements", columns=LINE_COLUMNS, rows=rows)
    copy_rows(cur, "workshop_months", month_rows)
    return touched


def recompute_hiring_awards(cur: psycopg.Cursor[DictRow], workshops: set[UUID]) -> None:
    """Awards of every worker of the changed workshops, in the workshops those workers work in.

    A person's award depends on all their months in the county; a workshop's awards depend on every award
    that lands in it (the cap). So the awards of the workshops where the changed workers work are recomputed
    from all months of everyone who works there, county by county, and only those workshops' rows are
    replaced (an award that lands elsewhere belongs to a workshop whose awards did not change).
    """
    if not workshops:
        return
    cur.execute("SELECT DISTINCT s2.workshop_id, s2.county FROM slips s1 JOIN slips s2 ON s2.id_hash = s1.id_hash"
                " AND s2.county = s1.county WHERE s1.workshop_id = ANY(%s)", (sorted(workshops, key=str),))
    by_county: dict[str, set[UUID]] = defaultdict(set)
    for r in cur.fetchall():
        by_county[r["county"]].add(r["workshop_id"])
    params = ParamsByCounty(cur)
    for county in sorted(by_county):
        affected = sorted(by_county[county], key=str)
        # Driven from the workers (a few per workshop) through the lines' person index: the lines of a county
        # grow within a rebuild faster than their statistics, and planned from the county's lines (estimated at
        # two rows) this took 10 s a batch of a 140,000-event rebuild.
        cur.execute(
            "WITH workers AS MATERIALIZED (SELECT DISTINCT id_hash FROM slips WHERE workshop_id = ANY(%s))"
            " SELECT e.id_hash, e.organisation, e.workshop_id, e.month, e.slip_id, s.gross_fen, s.version,"
            " m.start_date FROM workers w JOIN entitlements e ON e.id_hash = w.id_hash AND e.subsidy = 'worker_wage'"
            " JOIN slips s ON s.slip_id = e.slip_id JOIN employments m ON m.employment_id = s.employment_id"
            " WHERE e.county = %s AND e.eligible", (affected, county))
        rows = cur.fetchall()
        versions = {r["slip_id"]: r["version"] for r in rows}
        months = [EligibleMonth(r["id_hash"], county, r["organisation"], r["workshop_id"], r["month"],
                                r["slip_id"], r["gross_fen"], r["start_date"]) for r in rows]
        here = set(affected)
        awards = [a for a in hiring_award_lines(months, params.on) if a.month.workshop_id in here]
        cur.execute("DELETE FROM entitlements WHERE subsidy = 'hiring_award' AND county = %s"
                    " AND (workshop_id = ANY(%s) OR slip_id = ANY(%s))",
                    (county, affected, [a.key for a in awards]))
        copy_rows(cur, "entitlements", columns=LINE_COLUMNS, rows=[
            (a.key, a.line.subsidy, county, a.month.organisation, a.month.workshop_id, a.month.month,
             a.line.payee, a.month.id_hash, versions[a.month.slip_id], a.line.amount_fen, a.line.eligible,
             Jsonb(a.line.explanation)) for a in awards])


def recompute_training(cur: psycopg.Cursor[DictRow], hashes: set[str]) -> None:
    """Training lines of these people, from every training they attended in any county (the subsidy is once
    per person per year, wherever the training was held)."""
    if not hashes:
        return
    cur.execute("SELECT t.*, p.id_hash FROM trainings t JOIN trainees p USING (training_id)"
                " WHERE p.id_hash = ANY(%s)", (sorted(hashes),))
    rows = cur.fetchall()
    if not rows:
        return  # nobody here was ever trained: no training lines to replace
    hashes = {r["id_hash"] for r in rows}
    people = people_for(cur, hashes)
    params = ParamsByCounty(cur)
    trainees = [Trainee(r["training_id"], r["county"], r["held_on"], r["workshop_id"], r["organisation"],
                        r["id_hash"], person_in_month(people.get(r["id_hash"], []), r["held_on"]))
                for r in rows]
    lines = training_lines(trainees, params.on)
    cur.execute("DELETE FROM entitlements WHERE subsidy = 'training' AND id_hash = ANY(%s)", (sorted(hashes),))
    copy_rows(cur, "entitlements", columns=LINE_COLUMNS, rows=[
        (uuid5(t.training_id, t.id_hash), line.subsidy, t.county, t.organisation, t.workshop_id,
         t.held_on.strftime("%Y-%m"), line.payee, t.id_hash, 1, line.amount_fen, line.eligible, Jsonb(line.explanation))
        for t, line in lines])


def rent_rows(ws: DictRow, cert: CertificationFacts, costs: list[DictRow], eligible: dict[str, set[str]],
               staff: dict[str, int], params_for: ParamsByMonth) -> list[tuple[Any, ...]]:
    wid = ws["workshop_id"]
    out = []
    for r in costs:
        month = r["month"]
        line = rent_line(month, month_bounds(month)[1], cert, int(r["total"]), len(eligible.get(month, ())),
                         staff.get(month, 0), params_for(month), list(r["evidence"]))
        out.append((uuid5(wid, f"rent:{month}"), line.subsidy, ws["county"], ws["organisation"], wid, month,
                    line.payee, "", 1, line.amount_fen, line.eligible, Jsonb(line.explanation)))
    return out


def certification_month_rows(workshop_id: UUID, all_slips: list[DictRow], people: dict[str, list[dict[str, Any]]],
                          params_for: Any, since: str
                          ) -> tuple[dict[str, set[str]], dict[str, int], list[tuple[Any, ...]]]:
    """Criteria met month by month from ``since`` on (``all_slips`` reach back far enough for the window)."""
    eligible: dict[str, set[str]] = defaultdict(set)
    staff: dict[str, int] = defaultdict(int)
    for s in all_slips:
        if s["voided"]:
            continue
        month, h = s["month"], s["id_hash"]
        staff[month] += 1
        first, last = month_bounds(month)
        slip = SlipFacts(s["slip_id"], s["version"], s["gross_fen"], s["days_worked"], s["voided"],
                         s["verified_version"], s["verified_evidence"])
        if counts_for_certification(slip, person_in_month(people.get(h, []), last), first, params_for(month)):
            eligible[month].add(h)
    result = certification_months(sorted(m for m in staff if m >= since), eligible, staff, params_for)
    rows = [(workshop_id, r["month"], r["staff"], len(r["qualifying_workers"]), r["meets"], Jsonb(r)) for r in result]
    return eligible, staff, rows
