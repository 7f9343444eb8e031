"""The raw facts of the employment read model, written as their events arrive: workshops, payrolls and slips,
the registry copy (members with their dates, category history) and parameter versions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.employment import Payroll, Workshop
from xiaofei.domain.policy import PolicyBook
from xiaofei.domain.registry import Household
from xiaofei.projectors.base import copy_rows

SLIP_COLUMNS = ("slip_id, workshop_id, organisation, county, month, employment_id, id_hash, version, gross_fen,"
                 " net_fen, days_worked, pieces, pay_date, method, bank_ref, payee_account")

PERSON_COLUMNS = ("id_hash", "county", "household_number", "person_number", "birth_date", "sex", "left_on",
                  "joined_on", "id_masked", "recorded_at")


def record_workshop(cur: psycopg.Cursor[DictRow], e: Any, dirty_workshops: set[UUID]) -> None:
    wid = e.originator_id
    if isinstance(e, Workshop.Registered):
        cur.execute("INSERT INTO workshops (workshop_id, organisation, county, name, workshop_type, village_code,"
                    " premises) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (wid, e.organisation, e.county, e.name, e.workshop_type, e.village_code, e.premises))
    elif isinstance(e, Workshop.Certified):
        # Every period is kept: a new certification never erases an earlier one (see workshop_certifications).
        cur.execute("INSERT INTO workshop_certifications (workshop_id, seq, plaque_number, certified_on)"
                    " VALUES (%s, %s, %s, %s)", (wid, e.originator_version, e.plaque_number, e.certified_on))
        dirty_workshops.add(wid)
    elif isinstance(e, Workshop.CertificationRefused):
        cur.execute("UPDATE workshops SET last_refusal = %s WHERE workshop_id = %s", (e.reason, wid))
    elif isinstance(e, Workshop.Decertified):
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


def record_payroll(cur: psycopg.Cursor[DictRow], e: Any, dirty: set[tuple[UUID, str]], rows: PayrollRows) -> None:
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
            f"INSERT INTO slips ({SLIP_COLUMNS}) VALUES ({', '.join(['%s'] * 16)})"
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


def record_household(cur: psycopg.Cursor[DictRow], e: Any, households: dict[UUID, tuple[str, str]],
               dirty_hashes: set[str]) -> None:
    if isinstance(e, Household.Registered):
        households[e.originator_id] = (e.county, e.household_number)
        cur.execute("INSERT INTO household_keys VALUES (%s, %s, %s)",
                    (e.originator_id, e.county, e.household_number))
        # Founding members carry no joining date: the household's category history starts with the registration.
        copy_rows(cur, "persons", [(m.id_hash, e.county, e.household_number, m.person_number, m.birth_date,
                                    m.sex, None, None, m.id_masked, e.timestamp) for m in e.members],
                  PERSON_COLUMNS)
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
        cur.execute(f"INSERT INTO persons ({', '.join(PERSON_COLUMNS)}) VALUES ({', '.join(['%s'] * 10)})",
                    (m.id_hash, county, number, m.person_number, m.birth_date, m.sex, None, e.joined_on,
                     m.id_masked, e.timestamp))
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


def record_policy(cur: psycopg.Cursor[DictRow], e: Any, dirty_scopes: set[str]) -> None:
    if isinstance(e, PolicyBook.Opened):
        cur.execute("INSERT INTO policy_books VALUES (%s, %s)", (e.originator_id, e.scope))
    elif isinstance(e, PolicyBook.ParameterRecorded):
        cur.execute("SELECT scope FROM policy_books WHERE book_id = %s", (e.originator_id,))
        scope = cur.fetchone()["scope"]  # type: ignore[index]
        cur.execute("INSERT INTO parameters VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (scope, e.originator_version, e.name, e.value, e.effective_from, e.effective_to, e.source,
                     e.era))
        dirty_scopes.add(scope)


def slip_ids(e: Any) -> list[UUID]:
    if isinstance(e, Payroll.SlipsReported):
        return [s.slip_id for s in e.slips]
    if isinstance(e, Payroll.SlipCorrected):
        return [e.slip.slip_id]
    if isinstance(e, Payroll.SlipVoided):
        return [e.slip_id]
    return []


class PayrollRows:
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
        copy_rows(cur, "slips", self.slips, SLIP_COLUMNS.split(", "))
        copy_rows(cur, "slip_versions", self.versions)
        if len(self.slips) >= ANALYZE_AFTER:
            refresh_statistics(cur, len(self.slips), "slips", "slip_versions")
        self.opened, self.slips, self.versions = [], [], []


ANALYZE_AFTER = 1000
"""Slips copied in one flush from which the tables' statistics may be out of date (see ``refresh_statistics``)."""


def refresh_statistics(cur: psycopg.Cursor[DictRow], added: int, *tables: str) -> None:
    """ANALYZE ``tables`` when the rows just added are a tenth or more of what their statistics know of: the
    batch's own queries (the wage rule's staging, flags, awards) are planned on them, and a table loaded in this
    very transaction looks empty to the planner (nested loops over thousands of rows). Like autovacuum's threshold,
    this costs a bounded share of the rows added, however large the table grows."""
    cur.execute("SELECT greatest(reltuples, 0) AS known FROM pg_class WHERE oid = %s::regclass", (tables[0],))
    row = cur.fetchone()
    if row is None or added >= 0.1 * float(row["known"]):
        cur.execute(f"ANALYZE {', '.join(tables)}")
