"""Claim use cases. Amounts come from the entitlements read model (brought up to the head of the log first);
the per-organisation ledger makes sure no entitled amount is claimed twice and turns later changes into
arrears or clawback lines of the next claim, whoever files it (the employer, or the county settling pending
adjustments). Every date is a business date in Asia/Shanghai (``xiaofei.domain.clock``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from xiaofei.application.app import MAX_ATTEMPTS, XiaofeiApplication
from xiaofei.application.policy import PolicyService
from xiaofei.domain.claims import Claim, ClaimLedger, ClaimLine
from xiaofei.rules.claims import Entitled, claim_lines
from xiaofei.domain.clock import Clock, business_month, business_today, utc_now
from xiaofei.domain.bounds import month_problem
from xiaofei.domain.errors import Conflict, InvalidInput, NotFound, invalid
from xiaofei.domain.ids import organisation_id
from xiaofei.projectors.base import ConnectionParams
from xiaofei.projectors.employment import explain
from xiaofei.rules.entitlements import expand_parameters
from xiaofei.rules.parameters import ParameterVersion, in_force, scope_chain

A = TypeVar("A", bound=Aggregate)
MAX_PERIOD = "claim.max_period_months"


def _months_between(first: str, last: str) -> int:
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1


@dataclass(frozen=True)
class PendingAdjustments:
    organisation: str
    lines: list[ClaimLine]


class ClaimService:
    def __init__(self, app: XiaofeiApplication, params: ConnectionParams, policy: PolicyService,
                 read_wait_seconds: float = 10.0, clock: Clock = utc_now) -> None:
        self.app = app
        self.params = params
        self.policy = policy
        self.read_wait_seconds = read_wait_seconds
        self.clock = clock

    def today(self) -> date:
        return business_today(self.clock)

    def _ledger(self, organisation: str) -> ClaimLedger:
        try:
            return self.app.repository.get(ClaimLedger.create_id(organisation))
        except AggregateNotFoundError:
            return ClaimLedger(organisation=organisation)

    def _claim(self, county: str, claim_id: UUID) -> Claim:
        missing = f"no claim {claim_id} in county {county}"  # the same words whether it exists elsewhere or not
        try:
            claim: Claim = self.app.repository.get(claim_id)
        except AggregateNotFoundError:
            raise NotFound(missing) from None
        if not isinstance(claim, Claim) or claim.county != county:
            raise NotFound(missing)
        return claim

    def _organisation_county(self, organisation: str) -> str:
        try:
            return str(self.app.repository.get(organisation_id(organisation)).county)
        except AggregateNotFoundError:
            raise NotFound(f"no organisation {organisation}") from None

    def _entitlements(self, organisation: str) -> list[Entitled]:
        """The organisation's entitlement lines, once the projection has caught up with every event so far."""
        with self.params.connect() as conn:
            self.app.wait_projected(conn, "employment", self.read_wait_seconds, "entitlements are")
            # the lines and the facts their explanations are rendered from, in one snapshot
            conn.commit()
            conn.isolation_level, conn.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
            cur = conn.execute(
                "SELECT e.slip_id, e.subsidy, e.payee, e.id_hash, e.workshop_id, e.month, e.slip_version,"
                " e.amount_fen, e.county, e.explanation,"
                " CASE WHEN s.verified_version = e.slip_version THEN s.verified_evidence END AS verification"
                " FROM rm_employment.entitlements e LEFT JOIN rm_employment.slips s ON s.slip_id = e.slip_id"
                " WHERE e.organisation = %s ORDER BY e.month, e.slip_id, e.subsidy", (organisation,))
            names = [c.name for c in cur.description or []]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
            versions: dict[str, list[ParameterVersion]] = {}
            for county in sorted({str(r["county"]) for r in rows}):
                found = conn.execute("SELECT name, value, scope, effective_from, effective_to, source, era, seq"
                                     " FROM rm_employment.parameters WHERE scope = ANY(%s)", (scope_chain(county),))
                versions[county] = [ParameterVersion(*v) for v in found.fetchall()]
            rendered = explain.render_psycopg(conn, rows, versions, "rm_employment.")
        out = []
        for r in rows:
            stored = r["explanation"]
            explanation = rendered[(r["slip_id"], r["subsidy"])] if stored is None else \
                stored if isinstance(stored, dict) else json.loads(str(stored))
            out.append(Entitled(
                slip_id=r["slip_id"], subsidy=str(r["subsidy"]),
                payee="employer" if r["payee"] == "employer" else f"worker:{r['id_hash']}",
                workshop_id=r["workshop_id"], month=str(r["month"]), slip_version=int(r["slip_version"]),
                amount_fen=int(r["amount_fen"]), verification=r["verification"],
                # The claim keeps a complete explanation: the parameter values as they were when it was filed.
                explanation=expand_parameters(explanation, versions[str(r["county"])], str(r["county"]))))
        return out

    def _save(self, load: Callable[[], tuple[A, ...]], decide: Callable[..., None]) -> int:
        return self.app.update(load, decide)

    # -- queries that need the ledger --------------------------------------------------------------------

    def pending_adjustments(self, county: str, organisations: list[str]) -> list[PendingAdjustments]:
        """What the next claim of each organisation would adjust (arrears, clawbacks, returned lines), computed
        by the same rule as filing; organisations with nothing pending are left out."""
        out = []
        for organisation in organisations:
            if self._organisation_county(organisation) != county:
                raise NotFound(f"no organisation {organisation} in county {county}")
            lines = claim_lines(self._entitlements(organisation), self._ledger(organisation), None)
            if lines:
                out.append(PendingAdjustments(organisation, lines))
        return out

    # -- commands --------------------------------------------------------------------------------

    def file(self, organisation: str, county: str, period_from: str, period_to: str, actor: str) -> tuple[Claim, int]:
        problems = [p for p in (month_problem("period_from", period_from), month_problem("period_to", period_to)) if p]
        if problems:
            raise InvalidInput(problems)
        span = _months_between(period_from, period_to)
        if span < 1:
            raise invalid("period_to", f"{period_to} is before period_from {period_from}")
        # the county's claim cycle (月/季/半年/年度) as in force when the claimed period starts
        starts = date(int(period_from[:4]), int(period_from[5:]), 1)
        longest = in_force(self.policy.versions_for(county), MAX_PERIOD, county, starts)
        if span > longest.typed():
            raise invalid("period_to", f"the claim covers {span} months ({period_from} to {period_to}) but "
                                       f"{MAX_PERIOD} for county {county} on {starts.isoformat()} is "
                                       f"{longest.typed()} (source: {longest.source}, scope {longest.scope})")
        return self._file(organisation, county, (period_from, period_to), actor, "employer",
                          "nothing to claim: no entitled amount in the period that is not claimed already, "
                          "and no adjustment pending")

    def file_adjustments(self, county: str, organisation: str, actor: str) -> tuple[Claim, int]:
        """The county settles an organisation's pending adjustments without waiting for the employer: a claim
        of the adjustments only, for the current business month, that follows the usual notice, approval and
        payment (a negative net per payee opens a recovery when it is paid)."""
        if self._organisation_county(organisation) != county:
            raise NotFound(f"no organisation {organisation} in county {county}")
        return self._file(organisation, county, None, actor, "county",
                          f"no adjustment is pending for organisation {organisation}")

    def _file(self, organisation: str, county: str, period: tuple[str, str] | None, actor: str, initiated_by: str,
              nothing: str) -> tuple[Claim, int]:
        for _ in range(MAX_ATTEMPTS):
            entitled = self._entitlements(organisation)
            ledger = self._ledger(organisation)
            lines = claim_lines(entitled, ledger, period)
            if not lines:
                raise invalid("period_from" if period else "organisation", nothing)
            today = self.today()
            period_from, period_to = period or (business_month(today), business_month(today))
            claim = Claim(organisation=organisation, county=county, period_from=period_from, period_to=period_to,
                          lines=lines, actor=actor, filed_on=today, initiated_by=initiated_by)
            ledger.record_claim(claim.id, lines)
            try:
                return claim, self.app.record(claim, ledger)
            except IntegrityError:
                continue  # another claim of this organisation landed meanwhile: recompute against it
        raise Conflict("claims kept landing while we filed this one; try again")

    def _claim_and_ledger(self, county: str, claim_id: UUID) -> Callable[[], tuple[Claim, ClaimLedger]]:
        def load() -> tuple[Claim, ClaimLedger]:
            claim = self._claim(county, claim_id)
            return claim, self._ledger(claim.organisation)

        return load

    def reject_line(self, county: str, claim_id: UUID, line_no: int, reason: str, actor: str) -> int:
        def decide(claim: Claim, ledger: ClaimLedger) -> None:
            line = claim.reject_line(line_no, reason, actor)
            later = ledger.last_claim(line.key)
            if later is not None and later != claim.id:
                # a later claim already adjusted this subject on newer facts: rejecting the older line would undo
                # money the later line takes into account (a clawback of money never paid)
                raise Conflict(f"a later claim ({later}) already adjusts this line; review its line there")
            ledger.release(claim.id, line.slip_id, line.subsidy, line.amount_fen)

        return self._save(self._claim_and_ledger(county, claim_id), decide)

    def reinstate_line(self, county: str, claim_id: UUID, line_no: int, reason: str, actor: str) -> int:
        def decide(claim: Claim, ledger: ClaimLedger) -> None:
            line = claim.reinstate_line(line_no, reason, actor)
            ledger.reinstate(claim.id, line.slip_id, line.subsidy, reason.strip(), actor)

        return self._save(self._claim_and_ledger(county, claim_id), decide)

    def start_review(self, county: str, claim_id: UUID, actor: str) -> int:
        return self._save(lambda: (self._claim(county, claim_id),), lambda c: c.start_review(self.today(), actor))

    def finish_review(self, county: str, claim_id: UUID, actor: str) -> int:
        return self._save(lambda: (self._claim(county, claim_id),), lambda c: c.finish_review(self.today(), actor))

    def publish_notice(self, county: str, claim_id: UUID, published_on: date | None, actor: str) -> int:
        today = self.today()
        day = published_on or today
        if day > today:
            raise invalid("published_on", f"cannot be in the future (today is {today.isoformat()} in Asia/Shanghai)")
        days = in_force(self.policy.versions_for(county), "claim.notice_days", county, day).typed()
        return self._save(lambda: (self._claim(county, claim_id),),
                          lambda c: c.publish_notice(day, today, days, actor))

    def lodge_objection(self, county: str, claim_id: UUID, text: str, lodged_on: date | None,
                        actor: str) -> tuple[int, int]:
        today = self.today()
        numbers: list[int] = []
        position = self._save(lambda: (self._claim(county, claim_id),),
                              lambda c: numbers.append(c.lodge_objection(text, lodged_on or today, today, actor)))
        return numbers[-1], position

    def resolve_objection(self, county: str, claim_id: UUID, number: int, resolution: str, actor: str) -> int:
        today = self.today()
        return self._save(lambda: (self._claim(county, claim_id),),
                          lambda c: c.resolve_objection(number, resolution, today, actor))

    def approve(self, county: str, claim_id: UUID, approved_on: date | None, actor: str) -> int:
        today = self.today()
        return self._save(lambda: (self._claim(county, claim_id),),
                          lambda c: c.approve(approved_on or today, today, actor))

    def pay(self, county: str, claim_id: UUID, paid_on: date | None, references: dict[str, str], actor: str) -> int:
        today = self.today()

        def decide(claim: Claim, ledger: ClaimLedger) -> None:
            claim.pay(paid_on or today, today, references, actor)
            for payee, owed in claim.payable().items():
                if owed < 0:
                    ledger.open_recovery(claim.id, payee, -owed)

        return self._save(self._claim_and_ledger(county, claim_id), decide)

    def settle_recovery(self, county: str, organisation: str, payee: str, amount_fen: int, reference: str,
                        actor: str) -> int:
        def load() -> tuple[ClaimLedger]:
            try:
                ledger: ClaimLedger = self.app.repository.get(ClaimLedger.create_id(organisation))
            except AggregateNotFoundError:
                raise NotFound(f"organisation {organisation} has no claims") from None
            if self._organisation_county(organisation) != county:
                raise NotFound(f"no organisation {organisation} in county {county}")
            return (ledger,)

        return self._save(load, lambda ledger: ledger.settle_recovery(payee, amount_fen, reference, actor))

