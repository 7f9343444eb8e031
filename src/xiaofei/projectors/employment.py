"""The employment read model and the entitlements computed from it (see projections/employment/README.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid5

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from xiaofei.domain.claims import Claim, ClaimLedger
from xiaofei.domain.employment import BankStatement, Organisation, Payroll, Training, Workshop, month_bounds
from xiaofei.domain.policy import PolicyBook
from xiaofei.domain.registry import Household
from xiaofei.projectors import flags
from xiaofei.projectors.base import BatchProjection, copy_rows
from xiaofei.rules.entitlements import (
    CertificationFacts,
    CertificationPeriod,
    EligibleMonth,
    PersonFacts,
    SlipFacts,
    Trainee,
    WorkerMonthSlip,
    certification_months,
    counts_for_certification,
    hiring_award_lines,
    months_before,
    rent_line,
    training_lines,
    worker_month_lines,
)
from xiaofei.rules.parameters import ParameterVersion, all_in_force, scope_chain

CERTIFICATION_LOOKBACK = 12
"""Months of history a change can reach (``workshop.min_employment_months`` is at most this)."""

_SLIP_COLUMNS = ("slip_id, workshop_id, organisation, county, month, employment_id, id_hash, version, gross_fen,"
                 " net_fen, days_worked, pieces, pay_date, method, bank_ref, payee_account")


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
        payrolls = _PayrollRows()
        for e in events:
            if isinstance(e, Organisation.Registered):
                cur.execute("INSERT INTO organisations VALUES (%s, %s, %s, %s, %s)",
                            (e.credit_code, e.name, e.form, e.county, e.address))
            elif isinstance(e, Workshop.Event):
                self._workshop(cur, e, dirty_workshops)
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
                self._payroll(cur, e, dirty, payrolls)
                flag_slips.update(_slip_ids(e))
            elif isinstance(e, BankStatement.Uploaded):
                cur.executemany(
                    "INSERT INTO statement_lines (statement_id, line, organisation, county, paid_on, amount_fen,"
                    " payee_name, payee_account, reference) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(e.originator_id, ln.line, e.organisation, e.county, ln.paid_on, ln.amount_fen, ln.payee_name,
                      ln.payee_account, ln.reference) for ln in e.lines])
            elif isinstance(e, Household.Event):
                self._household(cur, e, households, dirty_hashes)
            elif isinstance(e, PolicyBook.Event):
                self._policy(cur, e, dirty_scopes)
            elif isinstance(e, Training.Recorded):
                cur.execute("INSERT INTO trainings VALUES (%s, %s, %s, %s, %s, %s, %s)",
                            (e.originator_id, e.workshop_id, e.organisation, e.county, e.held_on, e.course, e.hours))
                cur.executemany("INSERT INTO trainees VALUES (%s, %s, %s, %s)",
                                [(e.originator_id, t.id_hash, t.id_masked, t.name) for t in e.trainees])
                trainees.update(t.id_hash for t in e.trainees)
            elif isinstance(e, ClaimLedger.Opened):
                cur.execute("INSERT INTO ledgers VALUES (%s, %s)", (e.originator_id, e.organisation))
            elif isinstance(e, Claim.Event):
                self._claim(cur, e)
                if isinstance(e, Claim.Filed):
                    flag_claims.add(e.originator_id)
            elif isinstance(e, ClaimLedger.RecoveryOpened | ClaimLedger.RecoverySettled):
                self._recovery(cur, e)
        payrolls.flush(cur)
        flags.evaluate(cur, flag_slips, flag_claims, flag_employments, dirty_hashes, former_refs)
        self._expand_dirty(cur, dirty, dirty_workshops, dirty_hashes, dirty_scopes)
        trainees.update(dirty_hashes)
        for scope in sorted(dirty_scopes):
            cur.execute("SELECT DISTINCT p.id_hash FROM trainings t JOIN trainees p USING (training_id)"
                        " WHERE t.county LIKE %s", (_scope_prefix(scope),))
            trainees.update(r["id_hash"] for r in cur.fetchall())
        recompute_entitlements(cur, dirty, trainees)

    # -- raw facts -------------------------------------------------------------------------------

    @staticmethod
    def _workshop(cur: psycopg.Cursor[DictRow], e: Any, dirty_workshops: set[UUID]) -> None:
        wid = e.originator_id
        if isinstance(e, Workshop.Registered):
            cur.execute("INSERT INTO workshops (workshop_id, organisation, county, name, workshop_type, village_code,"
                        " premises) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (wid, e.organisation, e.county, e.name, e.workshop_type, e.village_code, e.premises))
        elif isinstance(e, Workshop.Certified):
            # Every period is kept: a new certification never erases an earlier one (see workshop_certifications).
            cur.execute("UPDATE workshops SET certified_on = %s, plaque_number = %s, decertified_on = NULL"
                        " WHERE workshop_id = %s", (e.certified_on, e.plaque_number, wid))
            cur.execute("INSERT INTO workshop_certifications (workshop_id, seq, plaque_number, certified_on)"
                        " VALUES (%s, %s, %s, %s)", (wid, e.originator_version, e.plaque_number, e.certified_on))
            dirty_workshops.add(wid)
        elif isinstance(e, Workshop.CertificationRefused):
            cur.execute("UPDATE workshops SET last_refusal = %s WHERE workshop_id = %s", (e.reason, wid))
        elif isinstance(e, Workshop.Decertified):
            cur.execute("UPDATE workshops SET decertified_on = %s WHERE workshop_id = %s", (e.effective_date, wid))
            cur.execute("UPDATE workshop_certifications SET ends_on = %s, end_reason = %s"
                        " WHERE workshop_id = %s AND ends_on IS NULL", (e.effective_date, e.reason, wid))
            dirty_workshops.add(wid)
        elif isinstance(e, Workshop.WorkerHired):
            m = e.employment
            cur.execute("INSERT INTO employments VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (m.employment_id, wid, m.id_hash, m.id_masked, m.name, m.contract_type, m.start, m.end,
                         m.pay_form))
        elif isinstance(e, Workshop.EmploymentEnded):
            cur.execute("UPDATE employments SET end_date = %s WHERE employment_id = %s", (e.end, e.employment_id))
        elif isinstance(e, Workshop.CostReported):
            cur.execute("INSERT INTO workshop_costs VALUES (%s, %s, %s, %s, %s) ON CONFLICT (workshop_id, month, kind)"
                        " DO UPDATE SET amount_fen = EXCLUDED.amount_fen, evidence = EXCLUDED.evidence",
                        (wid, e.month, e.kind, e.amount_fen, e.evidence))

    @staticmethod
    def _payroll(cur: psycopg.Cursor[DictRow], e: Any, dirty: set[tuple[UUID, str]], rows: _PayrollRows) -> None:
        if isinstance(e, Payroll.Opened):
            rows.open(e)
            return
        p = rows.payroll(cur, e.originator_id)
        dirty.add((p["workshop_id"], p["month"]))
        if isinstance(e, Payroll.SlipsReported):
            rows.report(p, e)
        elif isinstance(e, Payroll.SlipCorrected):
            slips, version, reason = [e.slip], e.version, e.reason
            cur.executemany(
                f"INSERT INTO slips ({_SLIP_COLUMNS}) VALUES ({', '.join(['%s'] * 16)})"
                " ON CONFLICT (slip_id) DO UPDATE SET version = EXCLUDED.version, gross_fen = EXCLUDED.gross_fen,"
                " net_fen = EXCLUDED.net_fen, days_worked = EXCLUDED.days_worked, pieces = EXCLUDED.pieces,"
                " pay_date = EXCLUDED.pay_date, method = EXCLUDED.method, bank_ref = EXCLUDED.bank_ref,"
                " payee_account = EXCLUDED.payee_account, voided = false, rejected_reason = NULL",
                [(s.slip_id, p["workshop_id"], p["organisation"], p["county"], p["month"], s.employment_id,
                  s.id_hash, version, s.gross_fen, s.net_fen, s.days_worked, s.pieces, s.pay_date, s.method,
                  s.bank_ref, s.payee_account) for s in slips])
            cur.executemany("INSERT INTO slip_versions VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                            [(s.slip_id, version, s.gross_fen, s.net_fen, s.days_worked, reason, e.upload_id,
                              e.timestamp) for s in slips])
        elif isinstance(e, Payroll.SlipVoided):
            cur.execute("UPDATE slips SET voided = true, verified_version = NULL WHERE slip_id = %s", (e.slip_id,))
        elif isinstance(e, Payroll.SlipVerified):
            cur.execute("UPDATE slips SET verified_version = %s, verified_evidence = %s, rejected_reason = NULL"
                        " WHERE slip_id = %s", (e.slip_version, e.evidence, e.slip_id))
            if e.statement_id is not None:
                cur.execute("UPDATE statement_lines SET matched_slip = %s WHERE statement_id = %s AND line = %s",
                            (e.slip_id, e.statement_id, e.statement_line))
        elif isinstance(e, Payroll.SlipRejected):
            cur.execute("UPDATE slips SET verified_version = NULL, verified_evidence = NULL, rejected_reason = %s"
                        " WHERE slip_id = %s", (e.reason, e.slip_id))

    @staticmethod
    def _household(cur: psycopg.Cursor[DictRow], e: Any, households: dict[UUID, tuple[str, str]],
                   dirty_hashes: set[str]) -> None:
        if isinstance(e, Household.Registered):
            households[e.originator_id] = (e.county, e.household_number)
            cur.execute("INSERT INTO household_keys VALUES (%s, %s, %s)",
                        (e.originator_id, e.county, e.household_number))
            # Founding members carry no joining date: the household's category history starts with the registration.
            copy_rows(cur, "persons", [(m.id_hash, e.county, e.household_number, m.person_number, m.birth_date,
                                        m.sex, None, None) for m in e.members])
            cur.execute("INSERT INTO household_categories VALUES (%s, %s, %s, %s, %s)",
                        (e.county, e.household_number, e.originator_version, e.effective_date, e.category))
            dirty_hashes.update(m.id_hash for m in e.members)
            return
        if not isinstance(e, Household.MemberAdded | Household.MemberRemoved | Household.CategoryChanged):
            return
        key = households.get(e.originator_id)
        if key is None:
            cur.execute("SELECT county, household_number FROM household_keys WHERE household_id = %s",
                        (e.originator_id,))
            row = cur.fetchone()
            if row is None:
                raise LookupError(f"household {e.originator_id} changed before it was registered")
            key = households[e.originator_id] = (row["county"], row["household_number"])
        county, number = key
        if isinstance(e, Household.MemberAdded):
            m = e.member
            cur.execute("INSERT INTO persons VALUES (%s, %s, %s, %s, %s, %s, NULL, %s)",
                        (m.id_hash, county, number, m.person_number, m.birth_date, m.sex, e.joined_on))
            dirty_hashes.add(m.id_hash)
        elif isinstance(e, Household.MemberRemoved):
            cur.execute("UPDATE persons SET left_on = %s WHERE county = %s AND household_number = %s AND"
                        " person_number = %s RETURNING id_hash", (e.left_on, county, number, e.person_number))
            dirty_hashes.update(r["id_hash"] for r in cur.fetchall())
        else:
            cur.execute("INSERT INTO household_categories VALUES (%s, %s, %s, %s, %s)",
                        (county, number, e.originator_version, e.effective_date, e.category))
            cur.execute("SELECT id_hash FROM persons WHERE county = %s AND household_number = %s", (county, number))
            dirty_hashes.update(r["id_hash"] for r in cur.fetchall())

    @staticmethod
    def _policy(cur: psycopg.Cursor[DictRow], e: Any, dirty_scopes: set[str]) -> None:
        if isinstance(e, PolicyBook.Opened):
            cur.execute("INSERT INTO policy_books VALUES (%s, %s)", (e.originator_id, e.scope))
        elif isinstance(e, PolicyBook.ParameterRecorded):
            cur.execute("SELECT scope FROM policy_books WHERE book_id = %s", (e.originator_id,))
            scope = cur.fetchone()["scope"]  # type: ignore[index]
            cur.execute("INSERT INTO parameters VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        (scope, e.originator_version, e.name, e.value, e.effective_from, e.effective_to, e.source,
                         e.era))
            dirty_scopes.add(scope)

    @staticmethod
    def _claim(cur: psycopg.Cursor[DictRow], e: Any) -> None:
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
            _claim_review(cur, e)

    @staticmethod
    def _recovery(cur: psycopg.Cursor[DictRow], e: Any) -> None:
        cur.execute("SELECT organisation FROM ledgers WHERE ledger_id = %s", (e.originator_id,))
        org = cur.fetchone()["organisation"]  # type: ignore[index]
        opened, settled = (e.amount_fen, 0) if isinstance(e, ClaimLedger.RecoveryOpened) else (0, e.amount_fen)
        cur.execute("INSERT INTO recoveries VALUES (%s, %s, %s, %s) ON CONFLICT (organisation, payee) DO UPDATE SET"
                    " opened_fen = recoveries.opened_fen + EXCLUDED.opened_fen,"
                    " settled_fen = recoveries.settled_fen + EXCLUDED.settled_fen", (org, e.payee, opened, settled))

    @staticmethod
    def _expand_dirty(cur: psycopg.Cursor[DictRow], dirty: set[tuple[UUID, str]], workshops: set[UUID],
                      hashes: set[str], scopes: set[str]) -> None:
        """Turn changed certifications, people and parameters into the workshop-months they affect."""
        if workshops:
            cur.execute("SELECT DISTINCT workshop_id, month FROM slips WHERE workshop_id = ANY(%s)", (list(workshops),))
            dirty.update((r["workshop_id"], r["month"]) for r in cur.fetchall())
        if hashes:
            cur.execute("SELECT DISTINCT workshop_id, month FROM slips WHERE id_hash = ANY(%s)", (list(hashes),))
            dirty.update((r["workshop_id"], r["month"]) for r in cur.fetchall())
        for scope in scopes:
            cur.execute("SELECT DISTINCT workshop_id, month FROM slips WHERE county LIKE %s", (_scope_prefix(scope),))
            dirty.update((r["workshop_id"], r["month"]) for r in cur.fetchall())

    # -- the rules -------------------------------------------------------------------------------

    @staticmethod
    def _recompute_workshops(cur: psycopg.Cursor[DictRow], dirty: set[tuple[UUID, str]]) -> set[UUID]:
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
            eligible, staff, months_rows = _certification_months(workshop_id, slips_of[workshop_id], people,
                                                                 params_for, first_dirty[workshop_id])
            month_rows.extend(months_rows)
            rows.extend(_rent_rows(ws, certs.get(workshop_id, CertificationFacts()), costs_of[workshop_id], eligible,
                                   staff, params_for))
        copy_rows(cur, "entitlements", rows)
        copy_rows(cur, "workshop_months", month_rows)
        return touched

    @staticmethod
    def _recompute_hiring_awards(cur: psycopg.Cursor[DictRow], workshops: set[UUID]) -> None:
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
            cur.execute(
                "SELECT e.id_hash, e.organisation, e.workshop_id, e.month, e.slip_id, s.gross_fen, s.version,"
                " m.start_date FROM entitlements e JOIN slips s USING (slip_id)"
                " JOIN employments m ON m.employment_id = s.employment_id"
                " WHERE e.county = %s AND e.subsidy = 'worker_wage' AND e.eligible"
                " AND e.id_hash IN (SELECT id_hash FROM slips WHERE workshop_id = ANY(%s))", (county, affected))
            rows = cur.fetchall()
            versions = {r["slip_id"]: r["version"] for r in rows}
            months = [EligibleMonth(r["id_hash"], county, r["organisation"], r["workshop_id"], r["month"],
                                    r["slip_id"], r["gross_fen"], r["start_date"]) for r in rows]
            here = set(affected)
            awards = [a for a in hiring_award_lines(months, params.on) if a.month.workshop_id in here]
            cur.execute("DELETE FROM entitlements WHERE subsidy = 'hiring_award' AND county = %s"
                        " AND (workshop_id = ANY(%s) OR slip_id = ANY(%s))",
                        (county, affected, [a.key for a in awards]))
            copy_rows(cur, "entitlements", [
                (a.key, a.line.subsidy, county, a.month.organisation, a.month.workshop_id, a.month.month,
                 a.line.payee, a.month.id_hash, versions[a.month.slip_id], a.line.amount_fen, a.line.eligible,
                 Jsonb(a.line.explanation)) for a in awards])

    @staticmethod
    def _recompute_training(cur: psycopg.Cursor[DictRow], hashes: set[str]) -> None:
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
                            r["id_hash"], _person_in_month(people.get(r["id_hash"], []), r["held_on"]))
                    for r in rows]
        lines = training_lines(trainees, params.on)
        cur.execute("DELETE FROM entitlements WHERE subsidy = 'training' AND id_hash = ANY(%s)", (sorted(hashes),))
        copy_rows(cur, "entitlements", [(uuid5(t.training_id, t.id_hash), line.subsidy, t.county, t.organisation,
                                         t.workshop_id, t.held_on.strftime("%Y-%m"), line.payee, t.id_hash, 1,
                                         line.amount_fen, line.eligible, Jsonb(line.explanation))
                                        for t, line in lines])


def recompute_entitlements(cur: psycopg.Cursor[DictRow], dirty: set[tuple[UUID, str]], trainees: set[str]) -> None:
    """Every entitlement the changed workshop-months and people can reach, from the facts now in the tables
    (a function of the facts, whatever the batch). Also what what-if runs, over temporary copies of the rows."""
    touched = EmploymentProjection._recompute_workshops(cur, dirty)
    EmploymentProjection._recompute_hiring_awards(cur, touched | {w for w, _ in dirty})
    EmploymentProjection._recompute_training(cur, trainees)


def wage_lines(cur: psycopg.Cursor[DictRow], workshop_ids: list[UUID], months: list[str]) -> set[UUID]:
    """Replace the wage-subsidy and matching lines of every worker-month (county, worker, month) that has a slip
    in one of the given workshop-months: caps, minimum days and wage floors apply to the worker's month across
    all their slips in the county, so a change to one slip can change the worker's lines in other workshops.
    Returns the workshops whose lines were replaced."""
    cur.execute(
        "SELECT s.* FROM slips s WHERE (s.county, s.id_hash, s.month) IN (SELECT DISTINCT t.county, t.id_hash,"
        " t.month FROM slips t JOIN unnest(%s::uuid[], %s::text[]) AS d(workshop_id, month)"
        " ON t.workshop_id = d.workshop_id AND t.month = d.month)", (workshop_ids, months))
    slips = cur.fetchall()
    if not slips:
        return set()
    cur.execute("DELETE FROM entitlements WHERE slip_id = ANY(%s) AND subsidy IN ('worker_wage', 'employer_match')",
                ([s["slip_id"] for s in slips],))
    certs = certifications_for(cur, {s["workshop_id"] for s in slips})
    people = people_for(cur, {s["id_hash"] for s in slips})
    params = ParamsByCounty(cur)
    groups: dict[tuple[str, str, str], list[DictRow]] = defaultdict(list)
    for s in slips:
        groups[(s["county"], s["id_hash"], s["month"])].append(s)
    rows: list[tuple[Any, ...]] = []
    for (county, id_hash, month), group in sorted(groups.items()):
        by_id = {s["slip_id"]: s for s in group}
        first, last = month_bounds(month)
        person = _person_in_month(people.get(id_hash, []), last)
        facts = [WorkerMonthSlip(SlipFacts(s["slip_id"], s["version"], s["gross_fen"], s["days_worked"], s["voided"],
                                           s["verified_version"], s["verified_evidence"]),
                                 certs.get(s["workshop_id"], CertificationFacts())) for s in group]
        for slip_id, lines in worker_month_lines(month, first, last, facts, person, params.monthly(county)(month)):
            s = by_id[slip_id]
            rows.extend((slip_id, line.subsidy, county, s["organisation"], s["workshop_id"], month, line.payee,
                         id_hash, s["version"], line.amount_fen, line.eligible, Jsonb(line.explanation))
                        for line in lines)
    copy_rows(cur, "entitlements", rows)
    return {s["workshop_id"] for s in slips}


def workshop_rows(cur: psycopg.Cursor[DictRow], ids: list[UUID]) -> dict[UUID, DictRow]:
    cur.execute("SELECT * FROM workshops WHERE workshop_id = ANY(%s)", (ids,))
    return {r["workshop_id"]: r for r in cur.fetchall()}


def certifications_for(cur: psycopg.Cursor[DictRow], workshop_ids: set[UUID]) -> dict[UUID, CertificationFacts]:
    """Each workshop's certification history (every period, oldest first)."""
    cur.execute("SELECT * FROM workshop_certifications WHERE workshop_id = ANY(%s) ORDER BY workshop_id, seq",
                (sorted(workshop_ids, key=str),))
    periods: dict[UUID, list[CertificationPeriod]] = defaultdict(list)
    for r in cur.fetchall():
        periods[r["workshop_id"]].append(CertificationPeriod(r["plaque_number"], r["certified_on"], r["ends_on"],
                                                             r["end_reason"]))
    return {w: CertificationFacts(tuple(p)) for w, p in periods.items()}


def _rent_rows(ws: DictRow, cert: CertificationFacts, costs: list[DictRow], eligible: dict[str, set[str]],
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


def _certification_months(workshop_id: UUID, all_slips: list[DictRow], people: dict[str, list[dict[str, Any]]],
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
        if counts_for_certification(slip, _person_in_month(people.get(h, []), last), first, params_for(month)):
            eligible[month].add(h)
    result = certification_months(sorted(m for m in staff if m >= since), eligible, staff, params_for)
    rows = [(workshop_id, r["month"], r["staff"], len(r["qualifying_workers"]), r["meets"], Jsonb(r)) for r in result]
    return eligible, staff, rows


class _PayrollRows:
    """Within one batch: payrolls by id, and the rows of newly reported slips, written with one COPY each.

    Reported slips are new by the payroll's own invariant, so buffering them is safe; anything that updates
    slips flushes the buffer first, which keeps every statement in log order.
    """

    def __init__(self) -> None:
        self.known: dict[UUID, dict[str, Any]] = {}
        self.opened: list[tuple[Any, ...]] = []
        self.slips: list[tuple[Any, ...]] = []
        self.versions: list[tuple[Any, ...]] = []

    def open(self, e: Any) -> None:
        self.known[e.originator_id] = {"workshop_id": e.workshop_id, "organisation": e.organisation,
                                       "county": e.county, "month": e.month}
        self.opened.append((e.originator_id, e.workshop_id, e.organisation, e.county, e.month))

    def payroll(self, cur: psycopg.Cursor[DictRow], payroll_id: UUID) -> dict[str, Any]:
        if payroll_id not in self.known:
            cur.execute("SELECT workshop_id, organisation, county, month FROM payrolls WHERE payroll_id = %s",
                        (payroll_id,))
            row = cur.fetchone()
            assert row is not None, "payroll events arrive after the payroll is opened"
            self.known[payroll_id] = dict(row)
        return self.known[payroll_id]

    def report(self, p: dict[str, Any], e: Any) -> None:
        self.slips.extend((s.slip_id, p["workshop_id"], p["organisation"], p["county"], p["month"], s.employment_id,
                           s.id_hash, 1, s.gross_fen, s.net_fen, s.days_worked, s.pieces, s.pay_date, s.method,
                           s.bank_ref, s.payee_account) for s in e.slips)
        self.versions.extend((s.slip_id, 1, s.gross_fen, s.net_fen, s.days_worked, "", e.upload_id, e.timestamp)
                             for s in e.slips)

    def flush(self, cur: psycopg.Cursor[DictRow]) -> None:
        copy_rows(cur, "payrolls", self.opened)
        copy_rows(cur, "slips", self.slips, _SLIP_COLUMNS.split(", "))
        copy_rows(cur, "slip_versions", self.versions)
        self.opened, self.slips, self.versions = [], [], []


class ParamsByCounty:
    """Parameter lookups for any county, by month (its last day) or by day, each county's versions read once."""

    def __init__(self, cur: psycopg.Cursor[DictRow], extra: list[ParameterVersion] | None = None) -> None:
        self.cur = cur
        self.extra = extra or []
        self._months: dict[str, ParamsByMonth] = {}
        self._days: dict[tuple[str, date], dict[str, ParameterVersion]] = {}

    def monthly(self, county: str) -> ParamsByMonth:
        if county not in self._months:
            chain = set(scope_chain(county))
            self._months[county] = ParamsByMonth(
                parameter_versions(self.cur, county) + [v for v in self.extra if v.scope in chain], county)
        return self._months[county]

    def on(self, county: str, day: date) -> dict[str, ParameterVersion]:
        if (county, day) not in self._days:
            self._days[(county, day)] = all_in_force(self.monthly(county).versions, county, day)
        return self._days[(county, day)]


class ParamsByMonth:
    """The parameters in force for a county on each month's last day (the date that matters for a slip)."""

    def __init__(self, versions: list[ParameterVersion], county: str) -> None:
        self.versions = versions
        self.county = county
        self._cache: dict[str, dict[str, ParameterVersion]] = {}

    def __call__(self, month: str) -> dict[str, ParameterVersion]:
        if month not in self._cache:
            self._cache[month] = all_in_force(self.versions, self.county, month_bounds(month)[1])
        return self._cache[month]


def _scope_prefix(scope: str) -> str:
    """LIKE pattern of the counties a scope covers: national, province xx0000, city xxxx00, county."""
    if scope == "national":
        return "%"
    if scope.endswith("0000"):
        return scope[:2] + "%"
    if scope.endswith("00"):
        return scope[:4] + "%"
    return scope


def _slip_ids(e: Any) -> list[UUID]:
    if isinstance(e, Payroll.SlipsReported):
        return [s.slip_id for s in e.slips]
    if isinstance(e, Payroll.SlipCorrected):
        return [e.slip.slip_id]
    if isinstance(e, Payroll.SlipVoided):
        return [e.slip_id]
    return []


def parameter_versions(cur: psycopg.Cursor[DictRow], county: str) -> list[ParameterVersion]:
    cur.execute("SELECT name, value, scope, effective_from, effective_to, source, era, seq FROM parameters"
                " WHERE scope = ANY(%s)", (scope_chain(county),))
    return [ParameterVersion(**r) for r in cur.fetchall()]


def people_for(cur: psycopg.Cursor[DictRow], hashes: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Registry members by ID hash, each with the household's category history."""
    if not hashes:
        return {}
    cur.execute(
        "SELECT p.*, array_agg(h.effective_date ORDER BY h.version) AS dates,"
        " array_agg(h.category ORDER BY h.version) AS categories FROM persons p"
        " JOIN household_categories h USING (county, household_number)"
        " WHERE p.id_hash = ANY(%s) GROUP BY p.id_hash, p.county, p.household_number, p.person_number",
        (list(hashes),))
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in cur.fetchall():
        out[r["id_hash"]].append(dict(r))
    for rows in out.values():
        rows.sort(key=lambda r: (r["county"], r["household_number"], r["person_number"]))
    return out


def _person_in_month(candidates: list[dict[str, Any]], last: date) -> PersonFacts | None:
    """The registry membership in force on ``last``: joined on or before it and not yet left (someone who left
    by the month's last day counts no more)."""
    for r in candidates:
        if r["left_on"] is not None and r["left_on"] <= last:
            continue
        if r["joined_on"] is not None and r["joined_on"] > last:
            continue
        category, since = None, None
        for effective, cat in zip(r["dates"], r["categories"], strict=True):
            if effective <= last:
                category, since = cat, effective
        return PersonFacts(r["county"], r["household_number"], r["person_number"], r["birth_date"], r["sex"],
                           category, since)
    return None


def _claim_review(cur: psycopg.Cursor[DictRow], e: Any) -> None:
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
