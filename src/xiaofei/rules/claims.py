"""What a claim contains: one pure decision from the entitlements now and the organisation's claim ledger, shared by
the employer's claims, the county's view of pending adjustments and the county's adjustment claims."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from xiaofei.domain.claims import ClaimLedger, ClaimLine, Key


@dataclass(frozen=True)
class Entitled:
    """One row of the entitlements read model, as a claim sees it."""

    slip_id: UUID
    subsidy: str
    payee: str
    """``employer`` or ``worker:<id hash>``."""
    workshop_id: UUID
    month: str
    slip_version: int
    amount_fen: int
    explanation: dict[str, Any]
    verification: str | None = None

    @property
    def key(self) -> Key:
        return (self.slip_id, self.subsidy)

    @property
    def facts(self) -> tuple[int, int, str | None]:
        return (self.slip_version, self.amount_fen, self.verification)


VANISHED_RULE = "the entitlement no longer exists: what was claimed for it is clawed back"


def claim_lines(entitled: Iterable[Entitled], ledger: ClaimLedger,
                period: tuple[str, str] | None) -> list[ClaimLine]:
    """The lines of the next claim, given the entitlements now and the ledger (pure).

    * a key never claimed, in ``period``: its whole entitlement (a claim of ``period=None`` takes none of these:
      it settles adjustments only);
    * a key claimed before: ``entitled now - claimed before`` when not zero (arrears or clawback, linked to the
      last claim that counted); a key with no entitlement row any more is entitled to 0, so all of it is clawed
      back;
    * a rejected line stays out while its facts (slip version, entitled amount, verification) are those it was
      rejected on; it comes back when they change, or once an official reinstates it.

    Lines are ordered by month, subject and subsidy and numbered from 1.
    """
    out: list[tuple[tuple[str, str, str], dict[str, Any]]] = []
    seen: set[Key] = set()
    for row in entitled:
        key = row.key
        seen.add(key)
        held = ledger.held.get(key)
        if held is not None and held.line.facts == row.facts:
            continue
        known = key in ledger.claimed or held is not None
        if not known and (period is None or not period[0] <= row.month <= period[1]):
            continue
        before = ledger.claimed.get(key, 0)
        if row.amount_fen == before:
            continue
        explanation = row.explanation
        if held is not None:
            explanation = {**explanation, "previously_rejected": {
                "claim_id": str(held.claim_id), "line_no": held.line.line_no,
                "facts_then": {"slip_version": held.line.slip_version, "entitled_fen": held.line.entitled_fen,
                               "verification": held.line.verification}}}
        out.append(((row.month, str(row.slip_id), row.subsidy), dict(
            slip_id=row.slip_id, subsidy=row.subsidy, payee=row.payee, workshop_id=row.workshop_id, month=row.month,
            slip_version=row.slip_version, entitled_fen=row.amount_fen, previously_claimed_fen=before,
            verification=row.verification, explanation=explanation, adjusts_claim=ledger.last_claim(key))))
    for key, before in ledger.claimed.items():
        last = ledger.last_line(key)
        if key in seen or before == 0 or last is None:
            continue
        held = ledger.held.get(key)
        if held is not None and held.line.entitled_fen == 0:
            continue  # its clawback was rejected, on the same facts (the entitlement is still gone)
        explanation = {"rule": VANISHED_RULE,
                       "reason": "no entitlement line for this subject and subsidy any more (the slip was removed, "
                                 "or the award moved to another subject or was withdrawn)",
                       "claimed_before_fen": before,
                       "last_claimed": {"claim_id": str(ledger.last_claim(key)), "line_no": last.line_no,
                                        "month": last.month, "slip_version": last.slip_version,
                                        "entitled_fen": last.entitled_fen}}
        out.append(((last.month, str(key[0]), key[1]), dict(
            slip_id=key[0], subsidy=key[1], payee=last.payee, workshop_id=last.workshop_id, month=last.month,
            slip_version=last.slip_version, entitled_fen=0, previously_claimed_fen=before, verification=None,
            explanation=explanation, adjusts_claim=ledger.last_claim(key))))
    out.sort(key=lambda item: item[0])
    lines = []
    for no, (_, f) in enumerate(out, start=1):
        amount = f["entitled_fen"] - f["previously_claimed_fen"]
        kind = "entitlement" if f["adjusts_claim"] is None else ("arrears" if amount > 0 else "clawback")
        lines.append(ClaimLine(line_no=no, amount_fen=amount, kind=kind, **f))
    return lines
