"""Bank matching both ways: a slip upload tries the organisation's open statement lines, a statement upload tries
the unverified current slip versions (rules in ``xiaofei.rules.bank_matching``).

Whatever proves a slip is recorded in one transaction: the ``SlipVerified`` on the payroll and the line's use on
the organisation's ``BankReconciliation``. Two writers after the same line collide on the reconciliation's
version; the loser reloads and decides again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, timedelta
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from psycopg import sql

from xiaofei.application.app import XiaofeiApplication
from xiaofei.application.policy import PolicyService
from xiaofei.domain import ids
from xiaofei.domain.bank import BankReconciliation, LineUse
from xiaofei.domain.employment import Payroll, StatementLine, Workshop
from xiaofei.domain.errors import Conflict
from xiaofei.rules.bank_matching import HOW_TEXT, OpenLine, SlipToProve, match
from xiaofei.rules.parameters import ParameterVersion, builtin_defaults, in_force

WINDOW = "bank.match_window_days"


class StatementNotMatchedYet(Conflict):
    """The statement is recorded, but the read model that finds older unverified slips lags behind."""


class BankMatcher:
    def __init__(self, app: XiaofeiApplication, policy: PolicyService, read_wait_seconds: float = 10.0) -> None:
        self.app = app
        self.policy = policy
        self.read_wait_seconds = read_wait_seconds

    def reconciliation(self, organisation: str) -> BankReconciliation | None:
        try:
            return self.app.repository.get(BankReconciliation.create_id(organisation))  # type: ignore[no-any-return]
        except AggregateNotFoundError:
            return None

    def version_now(self, organisation: str) -> int:
        rid = BankReconciliation.create_id(organisation)
        return self.app.existing_versions([rid]).get(rid, 0)

    # -- deciding (changes the aggregates given; the caller records them) -------------------------------------

    def prove(self, rec: BankReconciliation, payrolls: Iterable[Payroll], workshops: dict[UUID, Workshop],
              actor: str, *, only_slips: dict[UUID, set[UUID]] | None = None,
              only_statement: UUID | None = None) -> int:
        """Match unverified current slips of ``payrolls`` (restricted to ``only_slips`` per payroll) against the
        open lines (of ``only_statement``); verify the slips and use the lines. Returns how many were proven."""
        lines = [OpenLine(sid, ln, order) for order, ((sid, _), ln) in enumerate(rec.open.items())
                 if only_statement is None or sid == only_statement]
        if not lines:
            return 0
        by_id = {p.id: p for p in payrolls}
        candidates: list[SlipToProve] = []
        versions: dict[str, list[ParameterVersion]] = {}
        windows: dict[tuple[str, date], int] = {}
        for p in by_id.values():
            wanted = None if only_slips is None else only_slips.get(p.id, set())
            unverified = [s for s in p.unverified() if wanted is None or s.slip_id in wanted]
            if not unverified:
                continue
            if p.county not in versions:
                versions[p.county] = self.policy.versions_for(p.county)
            ws = workshops.get(p.workshop_id)
            for s in unverified:
                employment = ws.employments.get(s.employment_id) if ws is not None else None
                key = (p.county, s.pay_date)
                if key not in windows:
                    windows[key] = in_force(versions[p.county], WINDOW, p.county, s.pay_date).typed()
                candidates.append(SlipToProve(p.id, s.slip_id, p.versions[s.slip_id], s.net_fen, s.pay_date,
                                              s.bank_ref, s.payee_account, employment.name if employment else "",
                                              windows[key], (p.month, str(p.workshop_id), str(s.slip_id))))
        found = match(candidates, lines)
        if not found:
            return 0
        for m in found:
            by_id[m.slip.payroll_id].verify(
                m.slip.slip_id, f"bank statement line {m.line.entry.line}, matched by {HOW_TEXT[m.how]}", actor,
                statement_id=m.line.statement_id, statement_line=m.line.entry.line)
        rec.use([LineUse(statement_id=m.line.statement_id, line=m.line.entry.line, payroll_id=m.slip.payroll_id,
                         slip_id=m.slip.slip_id, slip_version=m.slip.version, how=m.how) for m in found], actor)
        return len(found)

    # -- the slip side ------------------------------------------------------------------------------------------

    def prove_slips(self, organisation: str, slips: dict[UUID, set[UUID]], actor: str) -> tuple[int, int | None]:
        """Its own transaction: try these slips (payroll id → slip ids) against the open lines.

        Used after a slip upload when a statement landed while it was being decided."""
        proven = 0

        def load() -> tuple[BankReconciliation | None, ...]:
            rec = self.reconciliation(organisation)
            if rec is None or not rec.open:
                return (None,)
            return (rec, *(self.app.repository.get(pid) for pid in sorted(slips, key=str)))

        def decide(rec: BankReconciliation | None, *payrolls: Payroll) -> None:
            nonlocal proven
            proven = 0
            if rec is None:
                return
            workshops = {p.workshop_id: self.app.repository.get(p.workshop_id, deepcopy_from_cache=False)
                         for p in payrolls}
            proven = self.prove(rec, payrolls, workshops, actor, only_slips=slips)

        position = self.app.update(load, decide)
        return proven, position if proven else None

    # -- the statement side -------------------------------------------------------------------------------------

    def prove_statement(self, organisation: str, county: str, workshops: list[UUID], statement_id: UUID,
                        lines: list[StatementLine], actor: str) -> tuple[int, int]:
        """Its own transaction, after the statement (its lines open) is recorded: try every unverified current
        slip version its open lines can prove.

        Candidates are found in the employment read model once it has every event recorded before the statement
        (a slip recorded after it sees the open lines itself), plus the payrolls of each line's month and the two
        before, read from the event store."""
        self._wait_for_read_model(statement_id)
        candidates = self._candidate_payrolls(organisation, county, workshops, lines)
        proven = 0

        def load() -> tuple[BankReconciliation | None, ...]:
            rec = self.reconciliation(organisation)
            if rec is None or not any(sid == statement_id for sid, _ in rec.open):
                return (None,)
            existing = self.app.existing_versions(candidates)
            return (rec, *(self.app.repository.get(pid) for pid in candidates if pid in existing))

        def decide(rec: BankReconciliation | None, *payrolls: Payroll) -> None:
            nonlocal proven
            proven = 0
            if rec is None:
                return
            shops = {w: self.app.repository.get(w, deepcopy_from_cache=False)
                     for w in {p.workshop_id for p in payrolls}}
            proven = self.prove(rec, payrolls, shops, actor, only_statement=statement_id)

        position = self.app.update(load, decide)
        return proven, position

    def _candidate_payrolls(self, organisation: str, county: str, workshops: list[UUID],
                            lines: list[StatementLine]) -> list[UUID]:
        months: set[str] = set()
        for line in lines:
            d = line.paid_on.replace(day=1)
            for _ in range(3):
                months.add(f"{d.year:04d}-{d.month:02d}")
                d = (d - timedelta(days=1)).replace(day=1)
        wanted = {ids.payroll_id(w, m) for w in workshops for m in months}
        versions = self.policy.versions_for(county)
        widest = max(int(v.value) for v in [*versions, *builtin_defaults()] if v.name == WINDOW)
        first = min(ln.paid_on for ln in lines) - timedelta(days=widest)
        last = max(ln.paid_on for ln in lines) + timedelta(days=widest)
        refs = sorted({ln.reference.strip() for ln in lines if ln.reference.strip()})
        unverified = "organisation = %s AND NOT voided AND verified_version IS DISTINCT FROM version"
        with self.app.recorder.datastore.get_connection() as conn, conn.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute(f"SELECT workshop_id, month FROM rm_employment.slips WHERE {unverified}"
                        " AND pay_date BETWEEN %s AND %s UNION"
                        f" SELECT workshop_id, month FROM rm_employment.slips WHERE {unverified}"
                        " AND bank_ref = ANY(%s)", (organisation, first, last, organisation, refs))
            wanted.update(ids.payroll_id(r["workshop_id"], r["month"]) for r in cur.fetchall())
        return sorted(wanted, key=str)

    def _wait_for_read_model(self, statement_id: UUID) -> None:
        """Until the employment projection has processed every event before the statement's."""
        events = self.app.events_table
        with self.app.recorder.datastore.get_connection() as conn, conn.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute(sql.SQL("SELECT coalesce(max(notification_id), 0) AS before FROM {} WHERE notification_id <"
                                " (SELECT min(notification_id) FROM {} WHERE originator_id = %s)").format(events, events),
                        (statement_id,))
            row = cur.fetchone()
            position = int(row["before"]) if row else 0
        deadline = time.monotonic() + self.read_wait_seconds
        while True:
            with self.app.recorder.datastore.get_connection() as conn, conn.cursor() as cur:  # type: ignore[attr-defined]
                cur.execute("SELECT notification_id FROM rm_employment.tracking WHERE application_name = %s",
                            (self.app.name,))
                row = cur.fetchone()
            if row is not None and row["notification_id"] >= position:
                return
            if time.monotonic() > deadline:
                raise StatementNotMatchedYet(
                    "the statement is recorded, but its lines can be matched only once the employment read model "
                    "has caught up: send the same file again in a moment")
            time.sleep(0.02)
