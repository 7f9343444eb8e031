"""Claim use cases. Amounts come from the entitlements read model (brought up to the head of the log first);
the per-organisation ledger makes sure no entitled amount is claimed twice and turns later changes into
arrears or clawback lines of the next claim."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from xiaofei.application.app import MAX_ATTEMPTS, XiaofeiApplication
from xiaofei.application.policy import PolicyService
from xiaofei.domain.claims import Claim, ClaimLedger, ClaimLine
from xiaofei.domain.errors import Conflict, NotFound, invalid
from xiaofei.domain.ids import organisation_id
from xiaofei.projectors.base import ConnectionParams
from xiaofei.rules.entitlements import expand_parameters
from xiaofei.rules.parameters import ParameterVersion, in_force, scope_chain

A = TypeVar("A", bound=Aggregate)
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _months_between(first: str, last: str) -> int:
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1


class ClaimService:
    def __init__(self, app: XiaofeiApplication, params: ConnectionParams, policy: PolicyService,
                 read_wait_seconds: float = 10.0) -> None:
        self.app = app
        self.params = params
        self.policy = policy
        self.read_wait_seconds = read_wait_seconds

    def _ledger(self, organisation: str) -> ClaimLedger:
        try:
            return self.app.repository.get(ClaimLedger.create_id(organisation))
        except AggregateNotFoundError:
            return ClaimLedger(organisation=organisation)

    def _claim(self, county: str, claim_id: UUID) -> Claim:
        try:
            claim: Claim = self.app.repository.get(claim_id)
        except AggregateNotFoundError:
            raise NotFound(f"no claim {claim_id}") from None
        if not isinstance(claim, Claim) or claim.county != county:
            raise NotFound(f"no claim {claim_id} in county {county}")
        return claim

    def _entitlements(self, organisation: str) -> list[dict[str, object]]:
        """The organisation's entitlement lines, once the projection has caught up with every event so far."""
        head = self.app.head_position()
        deadline = time.monotonic() + self.read_wait_seconds
        with self.params.connect() as conn:
            while True:
                row = conn.execute("SELECT notification_id FROM rm_employment.tracking WHERE application_name = %s",
                                   (self.app.name,)).fetchone()
                if row is not None and row[0] >= head:
                    break
                if time.monotonic() > deadline:
                    raise Conflict("entitlements are still being computed; try again in a moment")
                conn.rollback()
                time.sleep(0.02)
            cur = conn.execute(
                "SELECT slip_id, subsidy, payee, id_hash, workshop_id, month, slip_version, amount_fen, county,"
                " explanation FROM rm_employment.entitlements WHERE organisation = %s ORDER BY month, slip_id, subsidy",
                (organisation,))
            names = [c.name for c in cur.description or []]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            versions: dict[str, list[ParameterVersion]] = {}
            for county in sorted({str(r["county"]) for r in rows}):
                found = conn.execute("SELECT name, value, scope, effective_from, effective_to, source, era, seq"
                                     " FROM rm_employment.parameters WHERE scope = ANY(%s)", (scope_chain(county),))
                versions[county] = [ParameterVersion(*v) for v in found.fetchall()]
            for r in rows:
                # The claim keeps a complete explanation: the parameter values as they were when it was filed.
                r["explanation"] = expand_parameters(r["explanation"], versions[str(r["county"])],  # type: ignore[arg-type]
                                                     str(r["county"]))
            return rows

    def _save(self, load: Callable[[], tuple[A, ...]], decide: Callable[..., None]) -> int:
        return self.app.update(load, decide)

    # -- commands --------------------------------------------------------------------------------

    def file(self, organisation: str, county: str, period_from: str, period_to: str, actor: str) -> tuple[Claim, int]:
        for field, value in (("period_from", period_from), ("period_to", period_to)):
            if not _MONTH.match(value):
                raise invalid(field, "must be YYYY-MM")
        span = _months_between(period_from, period_to)
        if not 1 <= span <= 3:
            raise invalid("period_to", "a claim covers one month or one quarter (1 to 3 months)")
        for _ in range(MAX_ATTEMPTS):
            rows = self._entitlements(organisation)
            ledger = self._ledger(organisation)
            lines: list[ClaimLine] = []
            for r in rows:
                key = (r["slip_id"], r["subsidy"])
                in_period = period_from <= str(r["month"]) <= period_to
                if not in_period and key not in ledger.claimed:
                    continue
                before = ledger.claimed.get(key, 0)  # type: ignore[arg-type]
                entitled = int(r["amount_fen"])  # type: ignore[call-overload]
                if entitled == before:
                    continue
                adjusts = ledger.last_claim.get(key)  # type: ignore[arg-type]
                kind = "entitlement" if adjusts is None else ("arrears" if entitled > before else "clawback")
                explanation = r["explanation"]
                lines.append(ClaimLine(
                    line_no=len(lines) + 1, slip_id=r["slip_id"], subsidy=str(r["subsidy"]),  # type: ignore[arg-type]
                    payee="employer" if r["payee"] == "employer" else f"worker:{r['id_hash']}",
                    workshop_id=r["workshop_id"], month=str(r["month"]),  # type: ignore[arg-type]
                    slip_version=int(r["slip_version"]),  # type: ignore[call-overload]
                    entitled_fen=entitled, previously_claimed_fen=before, amount_fen=entitled - before, kind=kind,
                    adjusts_claim=adjusts,
                    explanation=explanation if isinstance(explanation, dict) else json.loads(str(explanation))))
            if not lines:
                raise invalid("period_from", "nothing to claim: no entitled amount in the period that is not "
                                             "claimed already, and no adjustment pending")
            claim = Claim(organisation=organisation, county=county, period_from=period_from, period_to=period_to,
                          lines=lines, actor=actor)
            ledger.record_claim(claim.id, lines)
            try:
                return claim, self.app.record(claim, ledger)
            except IntegrityError:
                continue  # another claim of this organisation landed meanwhile: recompute against it
        raise Conflict("claims kept landing while we filed this one; try again")

    def reject_line(self, county: str, claim_id: UUID, line_no: int, reason: str, actor: str) -> int:
        def load() -> tuple[Claim, ClaimLedger]:
            claim = self._claim(county, claim_id)
            return claim, self._ledger(claim.organisation)

        def decide(claim: Claim, ledger: ClaimLedger) -> None:
            line = claim.reject_line(line_no, reason, actor)
            ledger.release(claim.id, line.slip_id, line.subsidy, line.amount_fen)

        return self._save(load, decide)

    def publish_notice(self, county: str, claim_id: UUID, published_on: date, actor: str) -> int:
        _not_future("published_on", published_on)
        days = in_force(self.policy.versions_for(county), "claim.notice_days", county, published_on).typed()
        return self._save(lambda: (self._claim(county, claim_id),),
                          lambda c: c.publish_notice(published_on, days, actor))

    def approve(self, county: str, claim_id: UUID, approved_on: date, actor: str) -> int:
        _not_future("approved_on", approved_on)
        return self._save(lambda: (self._claim(county, claim_id),), lambda c: c.approve(approved_on, actor))

    def pay(self, county: str, claim_id: UUID, paid_on: date, references: dict[str, str], actor: str) -> int:
        _not_future("paid_on", paid_on)

        def load() -> tuple[Claim, ClaimLedger]:
            claim = self._claim(county, claim_id)
            return claim, self._ledger(claim.organisation)

        def decide(claim: Claim, ledger: ClaimLedger) -> None:
            claim.pay(paid_on, references, actor)
            for payee, owed in claim.payable().items():
                if owed < 0:
                    ledger.open_recovery(claim.id, payee, -owed)

        return self._save(load, decide)

    def settle_recovery(self, county: str, organisation: str, payee: str, amount_fen: int, reference: str,
                        actor: str) -> int:
        def load() -> tuple[ClaimLedger]:
            try:
                ledger: ClaimLedger = self.app.repository.get(ClaimLedger.create_id(organisation))
            except AggregateNotFoundError:
                raise NotFound(f"organisation {organisation} has no claims") from None
            org = self.app.repository.get(organisation_id(organisation))
            if org.county != county:
                raise NotFound(f"no organisation {organisation} in county {county}")
            return (ledger,)

        return self._save(load, lambda ledger: ledger.settle_recovery(payee, amount_fen, reference, actor))


def _not_future(field: str, day: date) -> None:
    if day > date.today():
        raise invalid(field, "cannot be in the future")
