"""The employment projection: dispatches each event to the table it feeds, then recomputes what changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.claims import Claim, ClaimLedger
from xiaofei.domain.employment import BankStatement, Organisation, Payroll, Training, UploadReceipt, Workshop
from xiaofei.domain.policy import PolicyBook
from xiaofei.domain.registry import Household
from xiaofei.projectors.base import BatchProjection
from xiaofei.projectors.employment import flags
from xiaofei.projectors.employment.claims import record_claim, record_recovery
from xiaofei.projectors.employment.facts import (
    PayrollRows,
    record_household,
    record_payroll,
    record_policy,
    record_workshop,
    slip_ids,
)
from xiaofei.projectors.employment.lookups import scope_prefix
from xiaofei.projectors.employment.recompute import recompute_entitlements


class EmploymentProjection(BatchProjection):
    name = "employment"

    def apply(self, cur: psycopg.Cursor[DictRow], events: Sequence[Any]) -> None:
        dirty: set[tuple[UUID, str]] = set()
        dirty_workshops: set[UUID] = set()
        dirty_hashes: set[str] = set()
        dirty_scopes: set[str] = set()
        trainees: set[str] = set()
        flag_slips: set[UUID] = set()
        flag_claims: set[UUID] = set()
        flag_employments: set[UUID] = set()
        former_refs: set[tuple[str, str]] = set()
        households: dict[UUID, tuple[str, str]] = {}
        payrolls = PayrollRows()
        for e in events:
            if isinstance(e, Organisation.Registered):
                cur.execute("INSERT INTO organisations VALUES (%s, %s, %s, %s, %s)",
                            (e.credit_code, e.name, e.form, e.county, e.address))
            elif isinstance(e, Workshop.Event):
                record_workshop(cur, e, dirty_workshops)
                if isinstance(e, Workshop.CostReported):
                    dirty.add((e.originator_id, e.month))
                if isinstance(e, Workshop.EmploymentEnded):
                    flag_employments.add(e.employment_id)
            elif isinstance(e, Payroll.Event):
                if not isinstance(e, Payroll.Opened | Payroll.SlipsReported):
                    payrolls.flush(cur)  # corrections, voids and verifications update rows reported before
                if isinstance(e, Payroll.SlipCorrected):
                    # the reference the slip carried until now may leave a "reused" flag that no longer holds
                    cur.execute("SELECT county, bank_ref FROM slips WHERE slip_id = %s", (e.slip.slip_id,))
                    former_refs.update((r["county"], r["bank_ref"]) for r in cur.fetchall())
                record_payroll(cur, e, dirty, payrolls)
                flag_slips.update(slip_ids(e))
            elif isinstance(e, BankStatement.Uploaded):
                cur.executemany(
                    "INSERT INTO statement_lines (statement_id, line, organisation, county, paid_on, amount_fen,"
                    " payee_name, payee_account, reference) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(e.originator_id, ln.line, e.organisation, e.county, ln.paid_on, ln.amount_fen, ln.payee_name,
                      ln.payee_account, ln.reference) for ln in e.lines])
            elif isinstance(e, Household.Event):
                record_household(cur, e, households, dirty_hashes)
            elif isinstance(e, PolicyBook.Event):
                record_policy(cur, e, dirty_scopes)
            elif isinstance(e, Training.Recorded):
                cur.execute("INSERT INTO trainings VALUES (%s, %s, %s, %s, %s, %s, %s)",
                            (e.originator_id, e.workshop_id, e.organisation, e.county, e.held_on, e.course, e.hours))
                cur.executemany("INSERT INTO trainees VALUES (%s, %s, %s, %s)",
                                [(e.originator_id, t.id_hash, t.id_masked, t.name) for t in e.trainees])
                trainees.update(t.id_hash for t in e.trainees)
            elif isinstance(e, UploadReceipt.Recorded):
                cur.execute("INSERT INTO upload_receipts VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                            (e.originator_id, e.organisation, e.idempotency_key, e.content_sha256, e.rows,
                             e.reported, e.corrected, e.unchanged, e.timestamp))
            elif isinstance(e, ClaimLedger.Opened):
                cur.execute("INSERT INTO ledgers VALUES (%s, %s)", (e.originator_id, e.organisation))
            elif isinstance(e, Claim.Event):
                record_claim(cur, e)
                if isinstance(e, Claim.Filed):
                    flag_claims.add(e.originator_id)
            elif isinstance(e, ClaimLedger.RecoveryOpened | ClaimLedger.RecoverySettled):
                record_recovery(cur, e)
        payrolls.flush(cur)
        flags.evaluate(cur, flag_slips, flag_claims, flag_employments, dirty_hashes, former_refs)
        expand_dirty(cur, dirty, dirty_workshops, dirty_hashes, dirty_scopes)
        trainees.update(dirty_hashes)
        for scope in sorted(dirty_scopes):
            cur.execute("SELECT DISTINCT p.id_hash FROM trainings t JOIN trainees p USING (training_id)"
                        " WHERE t.county LIKE %s", (scope_prefix(scope),))
            trainees.update(r["id_hash"] for r in cur.fetchall())
        recompute_entitlements(cur, dirty, trainees)


def expand_dirty(cur: psycopg.Cursor[DictRow], dirty: set[tuple[UUID, str]], workshops: set[UUID],
                  hashes: set[str], scopes: set[str]) -> None:
    """Turn changed certifications, people and parameters into the workshop-months they affect: months with slips,
    and, for certification and parameter changes, months with reported costs (a rent line needs no slip)."""
    if workshops:
        cur.execute("SELECT workshop_id, month FROM slips WHERE workshop_id = ANY(%s)"
                    " UNION SELECT workshop_id, month FROM workshop_costs WHERE workshop_id = ANY(%s)",
                    (list(workshops), list(workshops)))
        dirty.update((r["workshop_id"], r["month"]) for r in cur.fetchall())
    if hashes:
        cur.execute("SELECT DISTINCT workshop_id, month FROM slips WHERE id_hash = ANY(%s)", (list(hashes),))
        dirty.update((r["workshop_id"], r["month"]) for r in cur.fetchall())
    for scope in scopes:
        cur.execute("SELECT workshop_id, month FROM slips WHERE county LIKE %s UNION SELECT c.workshop_id, c.month"
                    " FROM workshop_costs c JOIN workshops w USING (workshop_id) WHERE w.county LIKE %s",
                    (scope_prefix(scope), scope_prefix(scope)))
        dirty.update((r["workshop_id"], r["month"]) for r in cur.fetchall())
