"""Which bank statement line proves which wage slip version (pure; the use cases load and record).

Rules, strongest first, each over what the stronger ones left:

1. **reference**: the line's reference equals the slip's bank reference and the amount equals its net pay,
   whatever the dates (a reference is specific enough on its own);
2. **account**: the line's payee account equals the slip's payee account, same amount, and the line's date is
   within ``window_days`` of the slip version's pay date (the closest date wins, then statement order);
3. **name**: only for a line *without* an account number: the payee name equals the worker's name (ignoring
   spaces and case), same amount, within the window, and only when unambiguous — exactly one open line fits
   the slip and exactly one slip fits the line; anything else is left to an official.

Each line proves at most one slip version, and each slip version needs only one line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from uuid import UUID

HOW_TEXT = {"reference": "reference", "account": "payee account and amount", "name": "payee name and amount"}

from xiaofei.domain.employment import StatementLine


@dataclass(frozen=True)
class SlipToProve:
    payroll_id: UUID
    slip_id: UUID
    version: int
    net_fen: int
    pay_date: date
    bank_ref: str
    payee_account: str
    worker_name: str
    window_days: int
    """``bank.match_window_days`` of the workshop's county on the version's pay date."""
    order: tuple[str, str, str]
    """(month, workshop, slip id): the order slips take lines in, so the result does not depend on loading order."""


@dataclass(frozen=True)
class OpenLine:
    """A statement line not yet used, as the reconciliation holds it."""

    statement_id: UUID
    entry: StatementLine
    order: int
    """Upload order of the statement, then line order."""

    @property
    def key(self) -> tuple[UUID, int]:
        return (self.statement_id, self.entry.line)


@dataclass(frozen=True)
class Match:
    slip: SlipToProve
    line: OpenLine
    how: str  # reference | account | name


_SPACE = re.compile(r"[\s\u3000]+")


def _normal(name: str) -> str:
    return _SPACE.sub("", name).casefold()


def _in_window(slip: SlipToProve, line: OpenLine) -> bool:
    return line.entry.amount_fen == slip.net_fen and abs((line.entry.paid_on - slip.pay_date).days) <= slip.window_days


def match(slips: list[SlipToProve], lines: list[OpenLine]) -> list[Match]:
    slips = sorted(slips, key=lambda s: s.order)
    lines = sorted(lines, key=lambda ln: ln.order)
    used: set[tuple[UUID, int]] = set()
    proven: set[tuple[UUID, int]] = set()
    out: list[Match] = []

    def take(s: SlipToProve, ln: OpenLine, how: str) -> None:
        used.add(ln.key)
        proven.add((s.slip_id, s.version))
        out.append(Match(s, ln, how))

    def free(ln: OpenLine) -> bool:
        return ln.key not in used

    def todo() -> list[SlipToProve]:
        return [s for s in slips if (s.slip_id, s.version) not in proven]

    by_ref: dict[str, list[OpenLine]] = defaultdict(list)
    for ln in lines:
        if ln.entry.reference.strip():
            by_ref[ln.entry.reference.strip()].append(ln)
    for s in todo():
        ref = s.bank_ref.strip()
        found = next((ln for ln in by_ref.get(ref, []) if free(ln) and ln.entry.amount_fen == s.net_fen), None) if ref \
            else None
        if found is not None:
            take(s, found, "reference")

    by_account: dict[str, list[OpenLine]] = defaultdict(list)
    by_name: dict[str, list[OpenLine]] = defaultdict(list)
    for ln in lines:
        if ln.entry.payee_account.strip():
            by_account[ln.entry.payee_account.strip()].append(ln)
        elif _normal(ln.entry.payee_name):
            by_name[_normal(ln.entry.payee_name)].append(ln)
    for s in todo():
        account = s.payee_account.strip()
        fits = [ln for ln in by_account.get(account, []) if free(ln) and _in_window(s, ln)] if account else []
        if fits:
            take(s, min(fits, key=lambda ln: (abs((ln.entry.paid_on - s.pay_date).days), ln.order)), "account")

    remaining = todo()
    fits_of = {(s.slip_id, s.version): [ln for ln in by_name.get(_normal(s.worker_name), [])
                                        if free(ln) and _in_window(s, ln)] for s in remaining}
    takers: dict[tuple[UUID, int], int] = defaultdict(int)
    for fits in fits_of.values():
        for ln in fits:
            takers[ln.key] += 1
    for s in remaining:
        fits = fits_of[(s.slip_id, s.version)]
        if len(fits) == 1 and takers[fits[0].key] == 1:
            take(s, fits[0], "name")
    return out
