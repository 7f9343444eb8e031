"""Employment integrity flags, raised (and cleared) as events arrive, each with its evidence.

* ``worker_days_over_31``: one worker on slips of two or more employers in one month, more than 31 days together.
* ``bank_ref_reused``: one bank reference on two or more current slips in a county.
* ``hire_and_leave_around_claim``: a claimed worker whose employment started and ended within 3 months.
* ``unregistered_worker_claimed``: a claim line for a worker who is not (or no longer) a registry member.

``raised_at`` is when the event that raised the flag was recorded.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

HIRE_AND_LEAVE_MONTHS = 3


def _raise(cur: psycopg.Cursor[DictRow], flag_id: str, county: str, kind: str, subject: str,
           evidence: dict[str, Any], at: Any) -> None:
    """Open (or keep open) a flag; it keeps the time it was first raised while it stays open."""
    cur.execute("INSERT INTO flags VALUES (%s, %s, %s, %s, %s, %s, true) ON CONFLICT (flag_id) DO UPDATE SET"
                " evidence = EXCLUDED.evidence, open = true,"
                " raised_at = CASE WHEN flags.open THEN flags.raised_at ELSE EXCLUDED.raised_at END",
                (flag_id, county, kind, subject, Jsonb(evidence), at))


def _close(cur: psycopg.Cursor[DictRow], flag_ids: list[str]) -> None:
    if flag_ids:
        cur.execute("UPDATE flags SET open = false WHERE flag_id = ANY(%s) AND open", (flag_ids,))


# Flags are evaluated after each event that can change them (not once per batch), so that a flag raised and
# cleared within one batch leaves the same rows as it would across batches: a rebuild gives the same rows.

def on_slips(cur: psycopg.Cursor[DictRow], slip_ids: list[UUID], at: Any) -> None:
    if not slip_ids:
        return
    cur.execute("SELECT DISTINCT id_hash, month, county, bank_ref FROM slips WHERE slip_id = ANY(%s)", (slip_ids,))
    touched = cur.fetchall()
    _days_over_31(cur, sorted({(r["id_hash"], r["month"], r["county"]) for r in touched}), at)
    _bank_refs(cur, sorted({(r["county"], r["bank_ref"]) for r in touched if r["bank_ref"]}), at)


def _days_over_31(cur: psycopg.Cursor[DictRow], keys: list[tuple[str, str, str]], at: Any) -> None:
    if not keys:
        return
    cur.execute(
        "SELECT id_hash, month, count(DISTINCT organisation) AS employers, sum(days_worked) AS total,"
        " json_agg(json_build_object('slip_id', slip_id, 'organisation', organisation, 'days_worked', days_worked,"
        " 'version', version) ORDER BY organisation, slip_id) AS slips"
        " FROM slips WHERE (id_hash, month) IN (SELECT * FROM unnest(%s::text[], %s::text[])) AND NOT voided"
        " GROUP BY id_hash, month", ([k[0] for k in keys], [k[1] for k in keys]))
    found = {(r["id_hash"], r["month"]): r for r in cur.fetchall()}
    closing = []
    for id_hash, month, county in keys:
        flag_id = f"worker_days_over_31:{id_hash}:{month}"
        r = found.get((id_hash, month))
        if r is not None and r["employers"] >= 2 and r["total"] > 31:
            _raise(cur, flag_id, county, "worker_days_over_31", f"{month} {id_hash[:12]}",
                   {"month": month, "total_days": int(r["total"]), "slips": r["slips"]}, at)
        else:
            closing.append(flag_id)
    _close(cur, closing)


def _bank_refs(cur: psycopg.Cursor[DictRow], keys: list[tuple[str, str]], at: Any) -> None:
    if not keys:
        return
    cur.execute(
        "SELECT county, bank_ref, json_agg(json_build_object('slip_id', slip_id, 'organisation', organisation,"
        " 'month', month, 'net_fen', net_fen) ORDER BY slip_id) AS slips, count(*) AS n FROM slips"
        " WHERE (county, bank_ref) IN (SELECT * FROM unnest(%s::text[], %s::text[])) AND NOT voided"
        " GROUP BY county, bank_ref", ([k[0] for k in keys], [k[1] for k in keys]))
    found = {(r["county"], r["bank_ref"]): r for r in cur.fetchall()}
    closing = []
    for county, ref in keys:
        flag_id = f"bank_ref_reused:{county}:{ref}"
        r = found.get((county, ref))
        if r is not None and r["n"] >= 2:
            _raise(cur, flag_id, county, "bank_ref_reused", ref, {"bank_ref": ref, "slips": r["slips"]}, at)
        else:
            closing.append(flag_id)
    _close(cur, closing)


def on_claim_or_employment_end(cur: psycopg.Cursor[DictRow], claim_id: UUID | None, employment_id: UUID | None,
                               at: Any) -> None:
    cur.execute(
        "SELECT DISTINCT ON (e.employment_id) e.employment_id, e.start_date, e.end_date, e.id_masked, c.claim_id,"
        " c.county FROM claim_lines l JOIN claims c USING (claim_id) JOIN slips s ON s.slip_id = l.slip_id"
        " JOIN employments e ON e.employment_id = s.employment_id"
        " WHERE (c.claim_id = %s OR e.employment_id = %s) AND e.end_date IS NOT NULL"
        " AND e.end_date < (e.start_date + make_interval(months => %s))::date"
        " ORDER BY e.employment_id, c.filed_at, c.claim_id", (claim_id, employment_id, HIRE_AND_LEAVE_MONTHS))
    for r in cur.fetchall():
        _raise(cur, f"hire_and_leave_around_claim:{r['employment_id']}", r["county"], "hire_and_leave_around_claim",
               r["id_masked"], {"employment_id": str(r["employment_id"]), "start": r["start_date"].isoformat(),
                                "end": r["end_date"].isoformat(), "claim_id": str(r["claim_id"]),
                                "rule": f"employment shorter than {HIRE_AND_LEAVE_MONTHS} months, and claimed"}, at)
    if claim_id is not None:
        _unregistered(cur, claim_id, at)


def _unregistered(cur: psycopg.Cursor[DictRow], claim_id: UUID, at: Any) -> None:
    cur.execute(
        "SELECT l.line_no, l.slip_id, l.month, s.id_hash, c.county FROM claim_lines l"
        " JOIN claims c USING (claim_id) JOIN slips s ON s.slip_id = l.slip_id"
        " WHERE l.claim_id = %s AND l.payee LIKE 'worker:%%' AND l.amount_fen > 0"
        " AND NOT EXISTS (SELECT 1 FROM persons p WHERE p.id_hash = s.id_hash AND p.left_on IS NULL)"
        " ORDER BY l.line_no", (claim_id,))
    for r in cur.fetchall():
        _raise(cur, f"unregistered_worker_claimed:{claim_id}:{r['line_no']}", r["county"],
               "unregistered_worker_claimed", r["id_hash"][:12],
               {"claim_id": str(claim_id), "line_no": r["line_no"], "slip_id": str(r["slip_id"]), "month": r["month"]},
               at)
