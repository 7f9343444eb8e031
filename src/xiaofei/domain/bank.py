"""Bank reconciliation (对账) of one organisation: the statement lines that have not yet proven a wage slip.

The ``BankStatement`` keeps the file as uploaded; this aggregate keeps which of its lines are still open. A line
that proves a slip version is used here *and* verified on the ``Payroll`` in the same transaction, so two
writers that want the same line collide on this aggregate's version and the loser decides again: a line never
proves two slips.
"""

from __future__ import annotations

from uuid import UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain.employment import StatementLine
from xiaofei.domain.errors import Conflict
from xiaofei.domain.ids import NAMESPACE


class LineUse(msgspec.Struct, frozen=True, kw_only=True):
    """Statement line ``line`` of ``statement_id`` proved version ``slip_version`` of a slip."""

    statement_id: UUID
    line: int
    payroll_id: UUID
    slip_id: UUID
    slip_version: int
    how: str  # reference | account | name


class BankReconciliation(Aggregate):
    """One per organisation (``uuid5`` of its credit code)."""

    @staticmethod
    def create_id(organisation: str) -> UUID:
        return uuid5(NAMESPACE, f"bank-reconciliation:{organisation}")

    class Opened(Aggregate.Created):
        organisation: str

    @event(Opened)
    def __init__(self, organisation: str) -> None:
        self.organisation = organisation
        self.open: dict[tuple[UUID, int], StatementLine] = {}
        """Open lines by (statement id, line number), in upload order."""
        self.seen: dict[tuple[object, ...], int] = {}
        """How many lines of each payment (``payment_of``) were ever opened, across every statement."""

    @staticmethod
    def payment_of(line: StatementLine) -> tuple[object, ...]:
        """What identifies one payment across statements: an overlapping export, or the same file with one byte
        changed, repeats these and must not open the same payment twice."""
        account = line.payee_account.strip()
        return (line.paid_on, line.amount_fen, account, "" if account else line.payee_name.strip(),
                line.reference.strip())

    def new_lines(self, lines: list[StatementLine]) -> list[StatementLine]:
        """The lines of a statement that are new payments: the k-th identical line of a statement is new only when
        fewer than k such lines were opened before (so two genuine identical payments in one file both count)."""
        count: dict[tuple[object, ...], int] = {}
        out = []
        for line in lines:
            fp = self.payment_of(line)
            count[fp] = count.get(fp, 0) + 1
            if count[fp] > self.seen.get(fp, 0):
                out.append(line)
        return out

    class LinesOpened(Aggregate.Event):
        statement_id: UUID
        lines: list[StatementLine]

    @event(LinesOpened)
    def open_lines(self, statement_id: UUID, lines: list[StatementLine]) -> None:
        for line in lines:
            self.open[(statement_id, line.line)] = line
        for line in lines:
            fp = self.payment_of(line)
            self.seen[fp] = self.seen.get(fp, 0) + 1

    class LinesUsed(Aggregate.Event):
        uses: list[LineUse]
        actor: str

    def use(self, uses: list[LineUse], actor: str) -> None:
        keys = [(u.statement_id, u.line) for u in uses]
        if len(set(keys)) != len(keys) or any(k not in self.open for k in keys):
            raise Conflict("a bank statement line proves at most one slip")
        self._used(uses=uses, actor=actor)

    @event(LinesUsed)
    def _used(self, uses: list[LineUse], actor: str) -> None:
        for u in uses:
            del self.open[(u.statement_id, u.line)]
