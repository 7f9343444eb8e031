"""The income projection's own copies of the facts it reads, written as their events arrive: households and their
members (with joining and leaving dates), declared other income, payrolls and slips with their verification,
claims and the subsidies paid to workers, linkage payments, and parameter versions. Each writer notes in ``Dirty``
whose income its change can reach."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from xiaofei.domain.claims import Claim
from xiaofei.domain.consumption.linkage import LinkageLedger
from xiaofei.domain.employment import Payroll
from xiaofei.domain.registry import Household
from xiaofei.projectors.base import copy_rows

WORKER = "worker:"
"""A claim payee that is a worker: ``worker:<id hash>``."""


@dataclass
class Dirty:
    households: set[tuple[str, str]] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)
    """People whose slips or subsidies changed: every household they are or were a member of."""
    scopes: set[str] = field(default_factory=set)
    registered: list[tuple[Any, ...]] = field(default_factory=list)
    founders: list[tuple[Any, ...]] = field(default_factory=list)
    """Households registered in the batch and their founding members, not yet written (one COPY each)."""

    def flush(self, cur: psycopg.Cursor[DictRow]) -> None:
        copy_rows(cur, "households", self.registered)
        copy_rows(cur, "members", self.founders, ("county", "household_number", "person_number", "id_hash"))
        self.registered, self.founders = [], []


def _household_key(cur: psycopg.Cursor[DictRow], household_id: UUID) -> tuple[str, str]:
    cur.execute("SELECT county, household_number FROM households WHERE household_id = %s", (household_id,))
    row = cur.fetchone()
    if row is None:
        raise LookupError(f"household {household_id} changed before it was registered")
    return row["county"], row["household_number"]


def record_household(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    if isinstance(e, Household.Registered):
        # buffered: a household's registration is its first event, so nothing in the batch reads it before a
        # later event of the same household, which flushes the buffer first (see ``apply``)
        dirty.registered.append((e.county, e.household_number, e.originator_id, e.village_code))
        dirty.founders.extend((e.county, e.household_number, m.person_number, m.id_hash) for m in e.members)
        dirty.households.add((e.county, e.household_number))
        dirty.hashes.update(m.id_hash for m in e.members)
        return
    if not isinstance(e, Household.MemberAdded | Household.MemberRemoved | Household.OtherIncomeDeclared):
        return
    dirty.flush(cur)
    county, number = _household_key(cur, e.originator_id)
    dirty.households.add((county, number))
    if isinstance(e, Household.MemberAdded):
        cur.execute("INSERT INTO members VALUES (%s, %s, %s, %s, %s, NULL)",
                    (county, number, e.member.person_number, e.member.id_hash, e.joined_on))
        dirty.hashes.add(e.member.id_hash)
    elif isinstance(e, Household.MemberRemoved):
        cur.execute("UPDATE members SET left_on = %s WHERE county = %s AND household_number = %s"
                    " AND person_number = %s RETURNING id_hash", (e.left_on, county, number, e.person_number))
        dirty.hashes.update(r["id_hash"] for r in cur.fetchall())
    else:
        cur.execute("INSERT INTO declarations VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (county, household_number, year, income_type) DO UPDATE SET"
                    " amount_fen = EXCLUDED.amount_fen, note = EXCLUDED.note, version = EXCLUDED.version",
                    (county, number, e.year, e.income_type, e.amount_fen, e.note, e.originator_version))


def record_payroll(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    if isinstance(e, Payroll.Opened):
        cur.execute("INSERT INTO payrolls VALUES (%s, %s, %s, %s, %s)",
                    (e.originator_id, e.workshop_id, e.organisation, e.county, e.month))
    elif isinstance(e, Payroll.SlipsReported):
        cur.executemany("INSERT INTO slips (slip_id, payroll_id, id_hash, version, net_fen, gross_fen)"
                        " VALUES (%s, %s, %s, 1, %s, %s)",
                        [(s.slip_id, e.originator_id, s.id_hash, s.net_fen, s.gross_fen) for s in e.slips])
        dirty.hashes.update(s.id_hash for s in e.slips)
    elif isinstance(e, Payroll.SlipCorrected):
        s = e.slip
        cur.execute("SELECT id_hash FROM slips WHERE slip_id = %s", (s.slip_id,))
        dirty.hashes.update(r["id_hash"] for r in cur.fetchall())  # a correction may name another person
        cur.execute("UPDATE slips SET id_hash = %s, version = %s, net_fen = %s, gross_fen = %s, voided = false,"
                    " verified_version = NULL WHERE slip_id = %s",
                    (s.id_hash, e.version, s.net_fen, s.gross_fen, s.slip_id))
        dirty.hashes.add(s.id_hash)
    elif isinstance(e, Payroll.SlipVoided | Payroll.SlipVerified | Payroll.SlipRejected):
        if isinstance(e, Payroll.SlipVoided):
            change, values = "voided = true, verified_version = NULL", ()
        elif isinstance(e, Payroll.SlipVerified):
            change, values = "verified_version = %s", (e.slip_version,)
        else:
            change, values = "verified_version = NULL", ()
        cur.execute(f"UPDATE slips SET {change} WHERE slip_id = %s RETURNING id_hash", (*values, e.slip_id))
        dirty.hashes.update(r["id_hash"] for r in cur.fetchall())


def record_claim(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    cid = e.originator_id
    if isinstance(e, Claim.Filed):
        cur.execute("INSERT INTO claims VALUES (%s, %s, %s)", (cid, e.organisation, e.county))
        cur.executemany("INSERT INTO claim_lines VALUES (%s, %s, %s, %s, %s, %s, %s, %s, false)",
                        [(cid, ln.line_no, ln.payee, ln.slip_id, ln.month, ln.subsidy, ln.amount_fen,
                          Jsonb(msgspec.to_builtins(ln.explanation))) for ln in e.lines
                         if ln.payee.startswith(WORKER)])
    elif isinstance(e, Claim.LineRejected | Claim.LineReinstated):
        cur.execute("UPDATE claim_lines SET rejected = %s WHERE claim_id = %s AND line_no = %s",
                    (isinstance(e, Claim.LineRejected), cid, e.line_no))
    elif isinstance(e, Claim.Paid):
        paid = [(cid, p.payee.removeprefix(WORKER), p.amount_fen, p.reference, e.paid_on) for p in e.payments
                if p.payee.startswith(WORKER)]
        cur.executemany("INSERT INTO subsidy_payments VALUES (%s, %s, %s, %s, %s)", paid)
        dirty.hashes.update(p[1] for p in paid)


def record_linkage(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty) -> None:
    if isinstance(e, LinkageLedger.Opened):
        cur.execute("INSERT INTO ledgers VALUES (%s, %s, %s)", (e.originator_id, e.seller, e.county))
    elif isinstance(e, LinkageLedger.PaymentRecorded):
        cur.execute("SELECT seller, county FROM ledgers WHERE ledger_id = %s", (e.originator_id,))
        ledger = cur.fetchone()
        assert ledger is not None, "a ledger is opened before its payments"
        p = e.payment
        cur.execute("INSERT INTO linkage_payments VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (ledger["seller"], p.reference, ledger["county"], p.kind, p.payee, p.amount_fen, p.paid_on,
                     p.produce, p.quantity, p.product_id))
        dirty.households.add((ledger["county"], p.payee))
