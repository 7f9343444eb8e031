"""Employment integrity flags, raised (and cleared) as events arrive, each with its evidence.

* ``worker_days_over_31``: one worker on slips of two or more employers in one month, more than 31 days together.
* ``bank_ref_reused``: one bank reference on two or more current slips in a county.
* ``hire_and_leave_around_claim``: a claimed worker whose employment started and ended within 3 months.
* ``unregistered_worker_claimed``: a claim line for a worker who is not (or no longer) a registry member.

``raised_at`` comes from the evidence (when its slips or claim were recorded), so a rebuild gives the same rows.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

HIRE_AND_LEAVE_MONTHS = 3


def _set(cur: psycopg.Cursor[DictRow], flag_id: str, county: str, kind: str, subject: str, raised: bool,
         evidence: dict[str, Any], raised_at: Any) -> None:
    if raised:
        cur.execute("INSERT INTO flags VALUES (%s, %s, %s, %s, %s, %s, true) ON CONFLICT (flag_id) DO UPDATE SET"
                    " evidence = EXCLUDED.evidence, raised_at = EXCLUDED.raised_at, open = true",
                    (flag_id, county, kind, subject, Jsonb(evidence), raised_at))
    else:
        cur.execute("UPDATE flags SET open = false WHERE flag_id = %s", (flag_id,))


def evaluate(cur: psycopg.Cursor[DictRow], slips: set[UUID], claims: set[UUID], ended: set[UUID]) -> None:
    if slips:
        cur.execute("SELECT DISTINCT id_hash, month, county, bank_ref FROM slips WHERE slip_id = ANY(%s)",
                    (list(slips),))
        touched = cur.fetchall()
        for key in sorted({(r["id_hash"], r["month"], r["county"]) for r in touched}):
            _days_over_31(cur, *key)
        for county, ref in sorted({(r["county"], r["bank_ref"]) for r in touched if r["bank_ref"]}):
            _bank_ref(cur, county, ref)
    if claims or ended:
        _hire_and_leave(cur, claims, ended)
    if claims:
        _unregistered(cur, claims)


def _days_over_31(cur: psycopg.Cursor[DictRow], id_hash: str, month: str, county: str) -> None:
    cur.execute(
        "SELECT s.slip_id, s.organisation, s.days_worked, s.version, v.recorded_at FROM slips s"
        " JOIN slip_versions v ON v.slip_id = s.slip_id AND v.version = s.version"
        " WHERE s.id_hash = %s AND s.month = %s AND NOT s.voided ORDER BY s.organisation, s.slip_id", (id_hash, month))
    rows = cur.fetchall()
    total = sum(r["days_worked"] for r in rows)
    employers = {r["organisation"] for r in rows}
    raised = len(employers) >= 2 and total > 31
    _set(cur, f"worker_days_over_31:{id_hash}:{month}", county, "worker_days_over_31", f"{month} {id_hash[:12]}",
         raised, {"month": month, "total_days": total,
                  "slips": [{"slip_id": str(r["slip_id"]), "organisation": r["organisation"],
                             "days_worked": r["days_worked"], "version": r["version"]} for r in rows]},
         max((r["recorded_at"] for r in rows), default=None))


def _bank_ref(cur: psycopg.Cursor[DictRow], county: str, ref: str) -> None:
    cur.execute(
        "SELECT s.slip_id, s.organisation, s.month, s.net_fen, v.recorded_at FROM slips s"
        " JOIN slip_versions v ON v.slip_id = s.slip_id AND v.version = s.version"
        " WHERE s.county = %s AND s.bank_ref = %s AND NOT s.voided ORDER BY s.slip_id", (county, ref))
    rows = cur.fetchall()
    _set(cur, f"bank_ref_reused:{county}:{ref}", county, "bank_ref_reused", ref, len(rows) >= 2,
         {"bank_ref": ref, "slips": [{"slip_id": str(r["slip_id"]), "organisation": r["organisation"],
                                      "month": r["month"], "net_fen": r["net_fen"]} for r in rows]},
         max((r["recorded_at"] for r in rows), default=None))


def _hire_and_leave(cur: psycopg.Cursor[DictRow], claims: set[UUID], ended: set[UUID]) -> None:
    cur.execute(
        "SELECT DISTINCT e.employment_id, e.start_date, e.end_date, e.id_masked, c.claim_id, c.county, c.filed_at"
        " FROM claim_lines l JOIN claims c USING (claim_id) JOIN slips s ON s.slip_id = l.slip_id"
        " JOIN employments e ON e.employment_id = s.employment_id"
        " WHERE (c.claim_id = ANY(%s) OR e.employment_id = ANY(%s)) AND e.end_date IS NOT NULL"
        " AND e.end_date < (e.start_date + make_interval(months => %s))::date"
        " ORDER BY e.employment_id, c.filed_at", (list(claims), list(ended), HIRE_AND_LEAVE_MONTHS))
    for r in cur.fetchall():
        _set(cur, f"hire_and_leave_around_claim:{r['employment_id']}", r["county"], "hire_and_leave_around_claim",
             r["id_masked"], True,
             {"employment_id": str(r["employment_id"]), "start": r["start_date"].isoformat(),
              "end": r["end_date"].isoformat(), "claim_id": str(r["claim_id"]),
              "rule": f"employment shorter than {HIRE_AND_LEAVE_MONTHS} months, and claimed"}, r["filed_at"])


def _unregistered(cur: psycopg.Cursor[DictRow], claims: set[UUID]) -> None:
    cur.execute(
        "SELECT l.claim_id, l.line_no, l.slip_id, l.month, s.id_hash, c.county, c.filed_at FROM claim_lines l"
        " JOIN claims c USING (claim_id) JOIN slips s ON s.slip_id = l.slip_id"
        " WHERE l.claim_id = ANY(%s) AND l.payee LIKE 'worker:%%' AND l.amount_fen > 0"
        " AND NOT EXISTS (SELECT 1 FROM persons p WHERE p.id_hash = s.id_hash AND p.left_on IS NULL)"
        " ORDER BY l.claim_id, l.line_no", (list(claims),))
    for r in cur.fetchall():
        _set(cur, f"unregistered_worker_claimed:{r['claim_id']}:{r['line_no']}", r["county"],
             "unregistered_worker_claimed", r["id_hash"][:12], True,
             {"claim_id": str(r["claim_id"]), "line_no": r["line_no"], "slip_id": str(r["slip_id"]),
              "month": r["month"]}, r["filed_at"])
