"""Claims (申报) in the employment read model: claims, their lines, notice, objections, payments, recoveries."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from xiaofei.domain.claims import Claim, ClaimLedger


def record_claim(cur: psycopg.Cursor[DictRow], e: Any) -> None:
    cid = e.originator_id
    if isinstance(e, Claim.Filed):
        cur.execute("INSERT INTO claims (claim_id, organisation, county, period_from, period_to, status, filed_at,"
                    " filed_on, initiated_by) VALUES (%s, %s, %s, %s, %s, 'filed', %s, %s, %s)",
                    (cid, e.organisation, e.county, e.period_from, e.period_to, e.timestamp, e.filed_on,
                     e.initiated_by))
        cur.executemany(
            "INSERT INTO claim_lines (claim_id, line_no, slip_id, subsidy, payee, workshop_id, month, slip_version,"
            " entitled_fen, previously_claimed_fen, amount_fen, kind, adjusts_claim, explanation)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(cid, ln.line_no, ln.slip_id, ln.subsidy, ln.payee, ln.workshop_id, ln.month, ln.slip_version,
              ln.entitled_fen, ln.previously_claimed_fen, ln.amount_fen, ln.kind, ln.adjusts_claim,
              Jsonb(ln.explanation)) for ln in e.lines])
    elif isinstance(e, Claim.ReviewStarted):
        cur.execute("UPDATE claims SET status = 'in_review', review_started_on = %s WHERE claim_id = %s",
                    (e.started_on, cid))
    elif isinstance(e, Claim.ReviewFinished):
        cur.execute("UPDATE claims SET status = 'reviewed', reviewed_on = %s WHERE claim_id = %s",
                    (e.finished_on, cid))
    elif isinstance(e, Claim.LineRejected):
        cur.execute("UPDATE claim_lines SET rejected_reason = %s WHERE claim_id = %s AND line_no = %s",
                    (e.reason, cid, e.line_no))
    elif isinstance(e, Claim.NoticePublished):
        cur.execute("UPDATE claims SET status = 'in_notice', notice_published_on = %s, notice_ends = %s"
                    " WHERE claim_id = %s", (e.published_on, e.ends_on, cid))
    elif isinstance(e, Claim.Approved):
        cur.execute("UPDATE claims SET status = 'approved', approved_on = %s WHERE claim_id = %s",
                    (e.approved_on, cid))
    elif isinstance(e, Claim.Paid):
        cur.execute("UPDATE claims SET status = 'paid', paid_on = %s WHERE claim_id = %s", (e.paid_on, cid))
        cur.executemany("INSERT INTO claim_payments VALUES (%s, %s, %s, %s, %s)",
                        [(cid, p.payee, p.amount_fen, p.reference, e.paid_on) for p in e.payments])
    else:
        record_claim_review(cur, e)


def record_claim_review(cur: psycopg.Cursor[DictRow], e: Any) -> None:
    """Objections lodged during a claim's notice and their resolution; rejected lines reinstated."""
    cid = e.originator_id
    if isinstance(e, Claim.ObjectionLodged):
        cur.execute("INSERT INTO claim_objections (claim_id, number, text, lodged_on, lodged_by)"
                    " VALUES (%s, %s, %s, %s, %s)", (cid, e.number, e.text, e.lodged_on, e.actor))
    elif isinstance(e, Claim.ObjectionResolved):
        cur.execute("UPDATE claim_objections SET resolution = %s, resolved_on = %s, resolved_by = %s"
                    " WHERE claim_id = %s AND number = %s", (e.resolution, e.resolved_on, e.actor, cid, e.number))
    elif isinstance(e, Claim.LineReinstated):
        cur.execute("UPDATE claim_lines SET reinstated_reason = %s WHERE claim_id = %s AND line_no = %s",
                    (e.reason, cid, e.line_no))


def record_recovery(cur: psycopg.Cursor[DictRow], e: Any) -> None:
    cur.execute("SELECT organisation FROM ledgers WHERE ledger_id = %s", (e.originator_id,))
    org = cur.fetchone()["organisation"]  # type: ignore[index]
    opened, settled = (e.amount_fen, 0) if isinstance(e, ClaimLedger.RecoveryOpened) else (0, e.amount_fen)
    cur.execute("INSERT INTO recoveries VALUES (%s, %s, %s, %s) ON CONFLICT (organisation, payee) DO UPDATE SET"
                " opened_fen = recoveries.opened_fen + EXCLUDED.opened_fen,"
                " settled_fen = recoveries.settled_fen + EXCLUDED.settled_fen", (org, e.payee, opened, settled))
