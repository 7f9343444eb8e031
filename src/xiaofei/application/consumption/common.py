"""What the consumption use cases share: loading aggregates (a wrong kind or another county's is "not found"),
the parameters in force, the business clock (Asia/Shanghai), stated dates, and the certification reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from xiaofei.application.app import MAX_ATTEMPTS, XiaofeiApplication
from xiaofei.application.policy import PolicyService
from xiaofei.domain import ids
from xiaofei.domain.clock import Clock, business_today, utc_now
from xiaofei.domain.consumption.certification import Certification, not_future
from xiaofei.domain.consumption.sellers import SELLER_FORMS, Seller
from xiaofei.domain.employment import Organisation
from xiaofei.domain.errors import Conflict, NotFound, invalid
from xiaofei.rules.parameters import in_force

A = TypeVar("A", bound=Aggregate)

DATE_FIELDS = ("applied_on", "reviewed_on", "published_on", "lodged_on", "resolved_on", "certified_on",
               "suspended_on", "reinstated_on", "revoked_on")


def check_rate(field: str, value: Decimal) -> Decimal:
    """A share between 0 and 1 with at most 4 decimals (NaN, infinities and 1e-999 are refused here, before any
    comparison)."""
    exponent = value.as_tuple().exponent
    if not value.is_finite() or not isinstance(exponent, int) or exponent < -4 or not 0 <= value <= 1:
        raise invalid(field, "must be a decimal between 0 and 1 with at most 4 decimals, e.g. \"0.10\"")
    return value


class ConsumptionBase:
    def __init__(self, app: XiaofeiApplication, policy: PolicyService, clock: Clock = utc_now) -> None:
        self.app = app
        self.policy = policy
        self.clock = clock

    def today(self) -> date:
        return business_today(self.clock)

    def parameter(self, county: str, name: str, on: date) -> Any:
        return in_force(self.policy.versions_for(county), name, county, on).typed()

    def stated(self, field: str, day: date) -> date:
        """A date the caller states: within the platform's dates and not after today (Asia/Shanghai)."""
        not_future(field, day, self.today())
        return day

    # -- loading ---------------------------------------------------------------------------------------

    def get(self, aggregate_id: UUID, kind: type[A], missing: str) -> A:
        try:
            found = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(missing) from None
        if not isinstance(found, kind):
            raise NotFound(missing)
        return found

    def maybe(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        try:
            found = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    def organisation(self, credit_code: str) -> Organisation:
        return self.get(ids.organisation_id(credit_code), Organisation, f"no organisation {credit_code}")

    def seller_organisation(self, credit_code: str) -> Organisation:
        org = self.organisation(credit_code)
        if org.form not in SELLER_FORMS:
            raise Conflict(f"organisation {credit_code} is registered as {org.form}: only an "
                           f"{', '.join(SELLER_FORMS)} sells certified products")
        return org

    def seller(self, credit_code: str) -> Seller | None:
        return self.maybe(Seller.create_id(credit_code), Seller)

    def certification(self, subject: str, subject_id: str) -> Certification | None:
        return self.maybe(Certification.create_id(subject, subject_id), Certification)

    def certified_seller(self, credit_code: str, on: date, what: str) -> Seller:
        """The seller, certified and valid on ``on`` and with a declared benefit linkage, or 409 saying which is
        missing."""
        cert = self.certification("seller", credit_code)
        if cert is None or not cert.valid_on(on):
            state = "has not applied" if cert is None else f"is {cert.state_on(on)}"
            raise Conflict(f"{what} needs a certified seller: the seller {credit_code} {state} on {on.isoformat()}")
        seller = self.seller(credit_code)
        if seller is None or seller.linkage is None:
            raise Conflict(f"{what} needs the seller's declared benefit linkage (联农带农机制): declare it first "
                           "(POST /organisations/{org}/seller/linkage)")
        return seller

    def update(self, load: Callable[[], Sequence[Aggregate]], decide: Callable[..., None]) -> int:
        return self.app.update(load, decide)

    def retrying(self, attempt: Callable[[], int]) -> int:
        """Run ``attempt`` (load, decide, record) again when a concurrent writer got there first."""
        for _ in range(MAX_ATTEMPTS):
            try:
                return attempt()
            except IntegrityError:
                continue
        raise Conflict("the record kept changing while we tried to update it; try again")

    # -- certification reads -------------------------------------------------------------------------------

    def certification_view(self, cert: Certification) -> dict[str, Any]:
        today = self.today()
        return {
            "certification_id": cert.id,
            "subject": cert.subject,
            "subject_id": cert.subject_id,
            "county": cert.county,
            "organisation": cert.organisation,
            "status": cert.state_on(today),
            "valid_today": cert.valid_on(today),
            "applied_on": cert.applied_on,
            "township_review": cert.township_review,
            "published_on": cert.published_on,
            "notice_ends": cert.notice_ends,
            "certificate_number": cert.certificate_number,
            "valid_from": cert.valid_from,
            "valid_to": cert.valid_to,
            "price_check": None if cert.price_check is None else msgspec.to_builtins(cert.price_check),
            "objections": [{"number": o.number, "text": o.text, "lodged_on": o.lodged_on, "outcome": o.outcome,
                            "reason": o.reason, "resolved_on": o.resolved_on}
                           for _, o in sorted(cert.objections.items())],
            "periods": [dict(p) for p in cert.periods],
        }

    def steps(self, cert: Certification) -> list[dict[str, Any]]:
        """Every step of the certification as its events recorded it, oldest first."""
        out: list[dict[str, Any]] = []
        for e in self.app.events.get(cert.id):
            data = {k: v for k, v in vars(e).items()
                    if k not in ("originator_id", "originator_version", "timestamp", "originator_topic")}
            name = type(e).__name__
            on = next((data[f] for f in DATE_FIELDS if isinstance(data.get(f), date)), None)
            actor = data.pop("actor", None)
            for f in ("subject", "subject_id", "county", "organisation"):
                data.pop(f, None)
            out.append({"version": e.originator_version, "step": _snake(name), "on": on,
                        "recorded_at": e.timestamp, "actor": actor,
                        "details": msgspec.to_builtins(data)})
        return out


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))
