"""Employment integrity flags, raised (and cleared) as events arrive, each with its evidence.

* ``worker_days_over_31``: one worker on slips of two or more employers in one month, more than 31 days together.
* ``bank_ref_reused``: one bank reference on two or more current slips in a county.
* ``hire_and_leave_around_claim``: a claimed worker whose employment lasted less than 3 months, started at most
  3 months before the first month of the claim's period and ended at most 3 months after the claim was filed
  (filing date in Asia/Shanghai).
* ``unregistered_worker_claimed``: a claim line paying a worker who was not a registry member (joined on or
  before, not yet left) on the last day of the line's month.
* ``id_number_in_two_households``: one ID number (by its keyed hash) a current member of two or more households, in
  one county or several (a move in flight, a typing error, a made-up person). One flag in each county concerned,
  each naming every household (county, household number, person number) and the masked ID, never the number.

A flag stands while its condition holds and disappears when it no longer does (a void, a correction); its
``raised_at`` is when the newest evidence was recorded.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

HIRE_AND_LEAVE_MONTHS = 3


def _replace(cur: psycopg.Cursor[DictRow], kind: str, flag_ids: list[str], raised: list[tuple[Any, ...]]) -> None:
    """The flags of ``flag_ids`` become exactly ``raised`` (a condition that no longer holds drops its flag)."""
    if flag_ids:
        cur.execute("DELETE FROM flags WHERE kind = %s AND flag_id = ANY(%s)", (kind, flag_ids))
    if raised:
        cur.executemany("INSERT INTO flags VALUES (%s, %s, %s, %s, %s, %s)", raised)


# Flags are a function of the current facts, evaluated once per batch for what the batch touched; that keeps
# them independent of batch boundaries (a rebuild gives the same rows) and cheap at month end.

def evaluate(cur: psycopg.Cursor[DictRow], slip_ids: set[UUID], claims: set[UUID], employments: set[UUID],
             hashes: set[str], former_refs: set[tuple[str, str]] | None = None) -> None:
    """``former_refs``: (county, bank reference) pairs that corrected slips carried before the correction, whose
    flags must be looked at again."""
    if slip_ids:
        cur.execute("SELECT DISTINCT id_hash, month, county, bank_ref FROM slips WHERE slip_id = ANY(%s)",
                    (list(slip_ids),))
        touched = cur.fetchall()
        _days_over_31(cur, {(r["id_hash"], r["month"]) for r in touched})
        _bank_refs(cur, {(r["county"], r["bank_ref"]) for r in touched if r["bank_ref"]}
                   | {k for k in former_refs or set() if k[1]})
        cur.execute("SELECT DISTINCT employment_id FROM slips WHERE slip_id = ANY(%s)", (list(slip_ids),))
        employments = employments | {r["employment_id"] for r in cur.fetchall()}
    if claims or employments:
        _hire_and_leave(cur, claims, employments)
    if claims or hashes or slip_ids:
        _unregistered(cur, claims, hashes)
    if hashes:
        _same_id_in_two_households(cur, hashes)


def _days_over_31(cur: psycopg.Cursor[DictRow], keys: set[tuple[str, str]]) -> None:
    if not keys:
        return
    cur.execute(
        "SELECT s.id_hash, s.month, min(s.county) AS county, count(DISTINCT s.organisation) AS employers,"
        " sum(s.days_worked) AS total, max(v.recorded_at) AS raised_at,"
        " json_agg(json_build_object('slip_id', s.slip_id, 'organisation', s.organisation, 'days_worked',"
        " s.days_worked, 'version', s.version) ORDER BY s.organisation, s.slip_id) AS slips"
        " FROM slips s JOIN slip_versions v ON v.slip_id = s.slip_id AND v.version = s.version"
        " WHERE s.id_hash = ANY(%s) AND s.month = ANY(%s) AND NOT s.voided GROUP BY s.id_hash, s.month"
        " HAVING count(DISTINCT s.organisation) >= 2 AND sum(s.days_worked) > 31",
        (sorted({k[0] for k in keys}), sorted({k[1] for k in keys})))
    raised = [(f"worker_days_over_31:{r['id_hash']}:{r['month']}", r["county"], "worker_days_over_31",
               f"{r['month']} {r['id_hash'][:12]}", Jsonb({"month": r["month"], "total_days": int(r["total"]),
                                                          "slips": r["slips"]}), r["raised_at"])
              for r in cur.fetchall() if (r["id_hash"], r["month"]) in keys]
    _replace(cur, "worker_days_over_31", [f"worker_days_over_31:{h}:{m}" for h, m in sorted(keys)], raised)


def _bank_refs(cur: psycopg.Cursor[DictRow], keys: set[tuple[str, str]]) -> None:
    if not keys:
        return
    cur.execute(
        "SELECT s.county, s.bank_ref, max(v.recorded_at) AS raised_at, json_agg(json_build_object('slip_id',"
        " s.slip_id, 'organisation', s.organisation, 'month', s.month, 'net_fen', s.net_fen) ORDER BY s.slip_id)"
        " AS slips FROM slips s JOIN slip_versions v ON v.slip_id = s.slip_id AND v.version = s.version"
        " WHERE s.bank_ref = ANY(%s) AND s.county = ANY(%s) AND NOT s.voided GROUP BY s.county, s.bank_ref"
        " HAVING count(*) >= 2", (sorted({k[1] for k in keys}), sorted({k[0] for k in keys})))
    raised = [(f"bank_ref_reused:{r['county']}:{r['bank_ref']}", r["county"], "bank_ref_reused", r["bank_ref"],
               Jsonb({"bank_ref": r["bank_ref"], "slips": r["slips"]}), r["raised_at"])
              for r in cur.fetchall() if (r["county"], r["bank_ref"]) in keys]
    _replace(cur, "bank_ref_reused", [f"bank_ref_reused:{c}:{ref}" for c, ref in sorted(keys)], raised)


def _hire_and_leave(cur: psycopg.Cursor[DictRow], claims: set[UUID], employments: set[UUID]) -> None:
    if claims:
        cur.execute("SELECT DISTINCT s.employment_id FROM claim_lines l JOIN slips s ON s.slip_id = l.slip_id"
                    " WHERE l.claim_id = ANY(%s)", (list(claims),))
        employments = employments | {r["employment_id"] for r in cur.fetchall()}
    if not employments:
        return
    cur.execute(
        "SELECT DISTINCT ON (e.employment_id) e.employment_id, e.start_date, e.end_date, e.id_masked, c.claim_id,"
        " c.county, c.filed_at, c.period_from, c.period_to, coalesce(c.filed_on, (c.filed_at AT TIME ZONE 'Asia/Shanghai')::date) AS filed_on"
        " FROM employments e JOIN slips s ON s.employment_id = e.employment_id"
        " JOIN claim_lines l ON l.slip_id = s.slip_id JOIN claims c ON c.claim_id = l.claim_id"
        " WHERE e.employment_id = ANY(%s) AND e.end_date IS NOT NULL"
        " AND e.end_date < (e.start_date + make_interval(months => %s))::date"
        " AND e.start_date >= (to_date(c.period_from || '-01', 'YYYY-MM-DD') - make_interval(months => %s))::date"
        " AND e.end_date <= (coalesce(c.filed_on, (c.filed_at AT TIME ZONE 'Asia/Shanghai')::date)"
        " + make_interval(months => %s))::date"
        " ORDER BY e.employment_id, c.filed_at, c.claim_id",
        (list(employments), HIRE_AND_LEAVE_MONTHS, HIRE_AND_LEAVE_MONTHS, HIRE_AND_LEAVE_MONTHS))
    raised = [(f"hire_and_leave_around_claim:{r['employment_id']}", r["county"], "hire_and_leave_around_claim",
               r["id_masked"], Jsonb({"employment_id": str(r["employment_id"]), "start": r["start_date"].isoformat(),
                                      "end": r["end_date"].isoformat(), "claim_id": str(r["claim_id"]),
                                      "claim_period": f"{r['period_from']} to {r['period_to']}",
                                      "claim_filed_on": r["filed_on"].isoformat(),
                                      "rule": f"employment shorter than {HIRE_AND_LEAVE_MONTHS} months, started at most"
                                              f" {HIRE_AND_LEAVE_MONTHS} months before the claim period and ended at"
                                              f" most {HIRE_AND_LEAVE_MONTHS} months after the claim was filed"}),
               r["filed_at"]) for r in cur.fetchall()]
    _replace(cur, "hire_and_leave_around_claim",
             [f"hire_and_leave_around_claim:{e}" for e in sorted(employments, key=str)], raised)


def _unregistered(cur: psycopg.Cursor[DictRow], claims: set[UUID], hashes: set[str]) -> None:
    cur.execute(
        "SELECT l.claim_id, l.line_no, l.slip_id, l.month, s.id_hash, c.county, c.filed_at,"
        " EXISTS (SELECT 1 FROM persons p WHERE p.id_hash = s.id_hash"
        " AND (p.joined_on IS NULL OR p.joined_on <= d.last) AND (p.left_on IS NULL OR p.left_on > d.last))"
        " AS registered"
        " FROM claim_lines l JOIN claims c USING (claim_id) JOIN slips s ON s.slip_id = l.slip_id"
        " CROSS JOIN LATERAL (SELECT (to_date(l.month || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date"
        " AS last) d"
        " WHERE (l.claim_id = ANY(%s) OR s.id_hash = ANY(%s)) AND l.payee LIKE 'worker:%%' AND l.amount_fen > 0",
        (list(claims), list(hashes)))
    rows = cur.fetchall()
    raised = [(f"unregistered_worker_claimed:{r['claim_id']}:{r['line_no']}", r["county"],
               "unregistered_worker_claimed", r["id_hash"][:12],
               Jsonb({"claim_id": str(r["claim_id"]), "line_no": r["line_no"], "slip_id": str(r["slip_id"]),
                      "month": r["month"]}), r["filed_at"]) for r in rows if not r["registered"]]
    _replace(cur, "unregistered_worker_claimed",
             [f"unregistered_worker_claimed:{r['claim_id']}:{r['line_no']}" for r in rows], raised)


SAME_ID = "id_number_in_two_households"


def _same_id_in_two_households(cur: psycopg.Cursor[DictRow], hashes: set[str]) -> None:
    """Every ID hash among ``hashes`` held by current members (not left) of two or more households: a flag for each
    county one of them is in. The flags of these hashes are replaced whole, so a member's removal clears them."""
    ordered = sorted(hashes)
    cur.execute(
        "SELECT id_hash, max(recorded_at) AS raised_at, min(id_masked) AS id_masked,"
        " array_agg(DISTINCT county ORDER BY county) AS counties,"
        " json_agg(json_build_object('county', county, 'household_number', household_number, 'person_number',"
        " person_number, 'id_masked', id_masked) ORDER BY county, household_number, person_number) AS households"
        " FROM persons WHERE id_hash = ANY(%s) AND left_on IS NULL GROUP BY id_hash"
        " HAVING count(DISTINCT (county, household_number)) >= 2", (ordered,))
    raised = [(f"{SAME_ID}:{r['id_hash']}:{county}", county, SAME_ID, r["id_masked"] or "",
               Jsonb({"id_masked": r["id_masked"], "households": r["households"]}), r["raised_at"])
              for r in cur.fetchall() for county in r["counties"]
              # members recorded before the persons kept these columns have none: `xiaofei rebuild employment`
              if r["raised_at"] is not None]
    cur.execute("DELETE FROM flags WHERE kind = %s AND split_part(flag_id, ':', 2) = ANY(%s)", (SAME_ID, ordered))
    if raised:
        cur.executemany("INSERT INTO flags VALUES (%s, %s, %s, %s, %s, %s)", raised)
