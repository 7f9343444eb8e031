"""The income projection's own copies of the facts it reads, written as their events arrive: households and their
members (with joining and leaving dates), declared other income, payrolls and slips with their verification,
claims and the subsidies paid to workers, linkage payments, and parameter versions. Each writer notes in ``Dirty``
whose income its change can reach, and stamps what it writes with the event's log position (``recorded_at``; a
state it replaces is kept in ``<table>_replaced`` by a trigger), so the facts as known at any position can be
read back (``projections/income/002_asof.sql``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from xiaofei.domain.claims import Claim
from xiaofei.domain.clock import business_day
from xiaofei.domain.consumption.linkage import LinkageLedger
from xiaofei.domain.employment import Payroll
from xiaofei.domain.policy import PolicyBook
from xiaofei.domain.registry import Household
from xiaofei.projectors.base import copy_rows

WORKER = "worker:"
"""A claim payee that is a worker: ``worker:<id hash>``."""


LOG_TODAY = "SELECT max(recorded_at) AS at FROM log_positions"
"""The projection's "today": the latest timestamp of the events it has applied (``log_positions``), taken as a
business date in Asia/Shanghai. The whole months that have closed by then are what the sudden-drop check compares
and the years every household has a row for; both are then a function of the facts (a rebuild, any batching and
an as-of read at a position give the same rows), not of when a batch happened to run."""


def log_today(cur: psycopg.Cursor[DictRow]) -> date | None:
    cur.execute(LOG_TODAY)
    row = cur.fetchone()
    return None if row is None or row["at"] is None else business_day(row["at"])


@dataclass
class Dirty:
    households: set[tuple[str, str]] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)
    """People whose slips or subsidies changed: every household they are or were a member of."""
    scopes: set[str] = field(default_factory=set)
    registered: list[tuple[Any, ...]] = field(default_factory=list)
    founders: list[tuple[Any, ...]] = field(default_factory=list)
    categories: list[tuple[Any, ...]] = field(default_factory=list)
    """Households registered in the batch, their founding members and first categories, not yet written (one COPY
    each)."""
    categorised: set[tuple[str, str]] = field(default_factory=set)
    """Households registered or recategorised in the batch: who shares the pools of the plans naming them moves."""

    everyone: bool = False
    """Every registered household: the batch moved the projection's "today" into another month, so every
    household's closed months (its sudden-drop window, its years) moved."""

    def today_moved(self, before: date | None, after: date | None) -> None:
        if after is not None and (before is None or (before.year, before.month) != (after.year, after.month)):
            self.everyone = True

    def flush(self, cur: psycopg.Cursor[DictRow]) -> None:
        copy_rows(cur, "households", self.registered)
        copy_rows(cur, "members", self.founders, ("county", "household_number", "person_number", "id_hash",
                                                          "recorded_at"))
        copy_rows(cur, "household_categories", self.categories)
        self.registered, self.founders, self.categories = [], [], []


EVENTS_TABLE = "xiaofei_events"
"""The application's log, found through the search path (the projection's schema, then ``public``)."""


def positions(cur: psycopg.Cursor[DictRow], events: Sequence[Any]) -> list[int]:
    """The log position of each event (by its originator id and version, the log's primary key), in order. A batch
    does not carry its positions to ``apply``; one query per batch finds them, so applying the same events in any
    batching stamps the same positions."""
    if not events:
        return []
    cur.execute(f"SELECT k.i, e.notification_id FROM unnest(%s::uuid[], %s::int[]) WITH ORDINALITY AS k(id, v, i)"
                f" JOIN {EVENTS_TABLE} e ON e.originator_id = k.id AND e.originator_version = k.v",
                ([e.originator_id for e in events], [e.originator_version for e in events]))
    found = {r["i"]: r["notification_id"] for r in cur.fetchall()}
    if len(found) != len(events):
        missing = next(e for i, e in enumerate(events, 1) if i not in found)
        raise LookupError(f"event {missing.originator_id} v{missing.originator_version} is not in the log")
    return [found[i] for i in range(1, len(events) + 1)]


def record_positions(cur: psycopg.Cursor[DictRow], events: Sequence[Any], at: Sequence[int]) -> None:
    """Each applied event's position and its own timestamp (``as_of=<time>`` finds its position here)."""
    copy_rows(cur, "log_positions", [(p, e.timestamp) for e, p in zip(events, at, strict=True)])


def _household_key(cur: psycopg.Cursor[DictRow], household_id: UUID) -> tuple[str, str]:
    cur.execute("SELECT county, household_number FROM households WHERE household_id = %s", (household_id,))
    row = cur.fetchone()
    if row is None:
        raise LookupError(f"household {household_id} changed before it was registered")
    return row["county"], row["household_number"]


def record_household(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty, pos: int) -> None:
    if isinstance(e, Household.Registered):
        # buffered: a household's registration is its first event, so nothing in the batch reads it before a
        # later event of the same household, which flushes the buffer first (see ``apply``)
        dirty.registered.append((e.county, e.household_number, e.originator_id, e.village_code, pos))
        dirty.founders.extend((e.county, e.household_number, m.person_number, m.id_hash, pos) for m in e.members)
        dirty.households.add((e.county, e.household_number))
        dirty.hashes.update(m.id_hash for m in e.members)
        dirty.categories.append((e.county, e.household_number, e.originator_version, e.category, e.effective_date,
                                 pos))
        dirty.categorised.add((e.county, e.household_number))
        return
    if not isinstance(e, Household.MemberAdded | Household.MemberRemoved | Household.OtherIncomeDeclared
                      | Household.CategoryChanged):
        return
    dirty.flush(cur)
    county, number = _household_key(cur, e.originator_id)
    dirty.households.add((county, number))
    if isinstance(e, Household.CategoryChanged):  # the share of the pools of plans naming it (revenue_share)
        cur.execute("INSERT INTO household_categories VALUES (%s, %s, %s, %s, %s, %s)",
                    (county, number, e.originator_version, e.category, e.effective_date, pos))
        dirty.categorised.add((county, number))
        return
    if isinstance(e, Household.MemberAdded):
        cur.execute("INSERT INTO members VALUES (%s, %s, %s, %s, %s, NULL, %s)",
                    (county, number, e.member.person_number, e.member.id_hash, e.joined_on, pos))
        dirty.hashes.add(e.member.id_hash)
    elif isinstance(e, Household.MemberRemoved):
        cur.execute("UPDATE members SET left_on = %s, recorded_at = %s WHERE county = %s AND household_number = %s"
                    " AND person_number = %s RETURNING id_hash", (e.left_on, pos, county, number, e.person_number))
        dirty.hashes.update(r["id_hash"] for r in cur.fetchall())
    else:
        cur.execute("INSERT INTO declarations VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (county, household_number, year, income_type) DO UPDATE SET"
                    " amount_fen = EXCLUDED.amount_fen, note = EXCLUDED.note, version = EXCLUDED.version,"
                    " recorded_at = EXCLUDED.recorded_at",
                    (county, number, e.year, e.income_type, e.amount_fen, e.note, e.originator_version, pos))


def record_payroll(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty, pos: int) -> None:
    if isinstance(e, Payroll.Opened):
        cur.execute("INSERT INTO payrolls VALUES (%s, %s, %s, %s, %s, %s)",
                    (e.originator_id, e.workshop_id, e.organisation, e.county, e.month, pos))
    elif isinstance(e, Payroll.SlipsReported):
        cur.executemany("INSERT INTO slips (slip_id, payroll_id, id_hash, version, net_fen, gross_fen, recorded_at)"
                        " VALUES (%s, %s, %s, 1, %s, %s, %s)",
                        [(s.slip_id, e.originator_id, s.id_hash, s.net_fen, s.gross_fen, pos) for s in e.slips])
        dirty.hashes.update(s.id_hash for s in e.slips)
    elif isinstance(e, Payroll.SlipCorrected):
        s = e.slip
        cur.execute("SELECT id_hash FROM slips WHERE slip_id = %s", (s.slip_id,))
        dirty.hashes.update(r["id_hash"] for r in cur.fetchall())  # a correction may name another person
        cur.execute("UPDATE slips SET id_hash = %s, version = %s, net_fen = %s, gross_fen = %s, voided = false,"
                    " verified_version = NULL, recorded_at = %s WHERE slip_id = %s",
                    (s.id_hash, e.version, s.net_fen, s.gross_fen, pos, s.slip_id))
        dirty.hashes.add(s.id_hash)
    elif isinstance(e, Payroll.SlipVoided | Payroll.SlipVerified | Payroll.SlipRejected):
        if isinstance(e, Payroll.SlipVoided):
            change, values = "voided = true, verified_version = NULL", ()
        elif isinstance(e, Payroll.SlipVerified):
            change, values = "verified_version = %s", (e.slip_version,)
        else:
            change, values = "verified_version = NULL", ()
        cur.execute(f"UPDATE slips SET {change}, recorded_at = %s WHERE slip_id = %s RETURNING id_hash",
                    (*values, pos, e.slip_id))
        dirty.hashes.update(r["id_hash"] for r in cur.fetchall())


def record_claim(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty, pos: int) -> None:
    cid = e.originator_id
    if isinstance(e, Claim.Filed):
        cur.execute("INSERT INTO claims VALUES (%s, %s, %s, %s)", (cid, e.organisation, e.county, pos))
        cur.executemany("INSERT INTO claim_lines VALUES (%s, %s, %s, %s, %s, %s, %s, %s, false, %s)",
                        [(cid, ln.line_no, ln.payee, ln.slip_id, ln.month, ln.subsidy, ln.amount_fen,
                          Jsonb(msgspec.to_builtins(ln.explanation)), pos) for ln in e.lines
                         if ln.payee.startswith(WORKER)])
    elif isinstance(e, Claim.LineRejected | Claim.LineReinstated):
        cur.execute("UPDATE claim_lines SET rejected = %s, recorded_at = %s WHERE claim_id = %s AND line_no = %s",
                    (isinstance(e, Claim.LineRejected), pos, cid, e.line_no))
    elif isinstance(e, Claim.Paid):
        paid = [(cid, p.payee.removeprefix(WORKER), p.amount_fen, p.reference, e.paid_on, pos) for p in e.payments
                if p.payee.startswith(WORKER)]
        cur.executemany("INSERT INTO subsidy_payments VALUES (%s, %s, %s, %s, %s, %s)", paid)
        dirty.hashes.update(p[1] for p in paid)


def record_linkage(cur: psycopg.Cursor[DictRow], e: Any, dirty: Dirty, pos: int) -> None:
    if isinstance(e, LinkageLedger.Opened):
        cur.execute("INSERT INTO ledgers VALUES (%s, %s, %s, %s)", (e.originator_id, e.seller, e.county, pos))
    elif isinstance(e, LinkageLedger.PaymentRecorded):
        cur.execute("SELECT seller, county FROM ledgers WHERE ledger_id = %s", (e.originator_id,))
        ledger = cur.fetchone()
        assert ledger is not None, "a ledger is opened before its payments"
        p = e.payment
        # the payee household's county: the one the payment names (a household another county registered that a
        # plan of the seller's names), else the one its kind implied when it was recorded — a payout's product's
        # origin county, or the seller's
        county = p.payee_county or ledger["county"]
        if p.payee_county is None and p.product_id is not None:
            cur.execute("SELECT origin_county FROM products WHERE product_id = %s", (p.product_id,))
            product = cur.fetchone()
            county = product["origin_county"] if product else county
        cur.execute("INSERT INTO linkage_payments VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (ledger["seller"], p.reference, county, p.kind, p.payee, p.amount_fen, p.paid_on,
                     p.produce, p.quantity, p.product_id, pos))
        dirty.households.add((county, p.payee))


def record_policy_position(cur: psycopg.Cursor[DictRow], e: Any, pos: int) -> None:
    """Stamp the row the employment slice's ``record_policy`` (shared, position-blind) just wrote."""
    if isinstance(e, PolicyBook.Opened):
        cur.execute("UPDATE policy_books SET recorded_at = %s WHERE book_id = %s", (pos, e.originator_id))
    elif isinstance(e, PolicyBook.ParameterRecorded):
        cur.execute("UPDATE parameters p SET recorded_at = %s FROM policy_books b WHERE b.book_id = %s"
                    " AND p.scope = b.scope AND p.seq = %s", (pos, e.originator_id, e.originator_version))
