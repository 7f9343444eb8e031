"""Seller certification use cases: a seller declares its benefit linkage and applies; the county reviews (after
the township when the county asks for one), publishes the notice, records and resolves objections, issues the
certificate, and later suspends, reinstates or revokes it. Dates omitted are today in Asia/Shanghai.

Products use the same ``Certification`` aggregate; their listing and price check come with the product commands.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from xiaofei.application.app import XiaofeiApplication
from xiaofei.application.policy import PolicyService
from xiaofei.domain import ids
from xiaofei.domain.clock import Clock, business_today, utc_now
from xiaofei.domain.consumption.certification import CertificateNumber, Certification, add_months
from xiaofei.domain.consumption.sellers import SELLER_FORMS, Seller
from xiaofei.domain.employment import Organisation
from xiaofei.domain.errors import Conflict, NotFound, invalid
from xiaofei.rules.parameters import in_force


class CertificationService:
    def __init__(self, app: XiaofeiApplication, policy: PolicyService, clock: Clock = utc_now) -> None:
        self.app = app
        self.policy = policy
        self.clock = clock

    def today(self) -> date:
        return business_today(self.clock)

    def _param(self, county: str, name: str, day: date) -> Any:
        return in_force(self.policy.versions_for(county), name, county, day).typed()

    def find(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _organisation(self, credit_code: str) -> Organisation:
        org = self.find(ids.organisation_id(credit_code))
        if not isinstance(org, Organisation):
            raise NotFound(f"no organisation {credit_code}")
        return org

    # -- the seller ----------------------------------------------------------------------------------

    def declare_linkage(self, credit_code: str, mechanisms: list[str], description: str, declared_on: date | None,
                        actor: str) -> int:
        """Opens the seller's record from its organisation on first use."""
        org = self._organisation(credit_code)
        if org.form not in SELLER_FORMS:
            raise invalid("form", f"a {org.form} cannot be a seller")
        today = self.today()
        day = declared_on or today
        if day > today:
            raise invalid("declared_on", f"cannot be in the future (today is {today.isoformat()} in Asia/Shanghai)")

        def load() -> tuple[Seller]:
            seller = self.find(ids.seller_id(credit_code))
            if seller is None:
                seller = Seller(credit_code=credit_code, county=org.county, name=org.name, form=org.form)
            return (seller,)

        return self.app.update(load, lambda s: s.declare_linkage(mechanisms, description, day, actor))

    def seller(self, credit_code: str) -> Seller | None:
        found = self.find(ids.seller_id(credit_code))
        return found if isinstance(found, Seller) else None

    def apply_as_seller(self, credit_code: str, applied_on: date | None, actor: str) -> tuple[UUID, int]:
        seller = self.seller(credit_code)
        if seller is None or seller.linkage is None:
            raise Conflict("declare the seller's benefit linkage (联农带农机制) first: POST /organisations/{org}/"
                           "seller/linkage")
        return self._apply("seller", credit_code, seller.county, credit_code, applied_on, actor)

    def _apply(self, subject: str, subject_id: str, county: str, organisation: str, applied_on: date | None,
               actor: str) -> tuple[UUID, int]:
        today = self.today()
        day = applied_on or today
        if day > today:
            raise invalid("applied_on", f"cannot be in the future (today is {today.isoformat()} in Asia/Shanghai)")
        township = self._param(county, "certification.township_review", day) == 1
        cert_id = ids.certification_id(subject, subject_id)

        created: list[bool] = []

        def load() -> tuple[Certification]:
            found = self.find(cert_id)
            created[:] = [found is None]
            if found is None:
                return (Certification(subject=subject, subject_id=subject_id, county=county,
                                      organisation=organisation, applied_on=day, township_review=township,
                                      actor=actor),)
            return (found,)

        def decide(cert: Certification) -> None:
            if not created[0]:  # refused, revoked or expired before: a new application on the same record
                cert.reapply(day, today, township, actor)

        return cert_id, self.app.update(load, decide)

    # -- the county's steps ----------------------------------------------------------------------------

    def certification(self, county: str, cert_id: UUID) -> Certification:
        found = self.find(cert_id)
        if not isinstance(found, Certification) or found.county != county:
            raise NotFound(f"no certification {cert_id} in county {county}")
        return found

    def _step(self, county: str, cert_id: UUID, decide: Callable[[Certification], None]) -> int:
        return self.app.update(lambda: (self.certification(county, cert_id),), decide)

    def township_review(self, county: str, cert_id: UUID, reviewed_on: date | None, approved: bool, opinion: str,
                        actor: str) -> int:
        today = self.today()
        return self._step(county, cert_id, lambda c: c.township_review_(reviewed_on or today, today, approved,
                                                                        opinion, actor))

    def county_review(self, county: str, cert_id: UUID, reviewed_on: date | None, approved: bool, opinion: str,
                      actor: str) -> int:
        today = self.today()
        return self._step(county, cert_id, lambda c: c.county_review(reviewed_on or today, today, approved, opinion,
                                                                     None, actor))

    def publish_notice(self, county: str, cert_id: UUID, published_on: date | None, actor: str) -> int:
        today = self.today()
        day = published_on or today
        days = self._param(county, "certification.notice_days", min(day, today))
        return self._step(county, cert_id, lambda c: c.publish_notice(day, today, days, actor))

    def lodge_objection(self, county: str, cert_id: UUID, text: str, lodged_on: date | None,
                        actor: str) -> tuple[int, int]:
        today = self.today()
        numbers: list[int] = []
        position = self._step(county, cert_id,
                              lambda c: numbers.append(c.lodge_objection(text, lodged_on or today, today, actor)))
        return numbers[-1], position

    def resolve_objection(self, county: str, cert_id: UUID, number: int, outcome: str, reason: str,
                          resolved_on: date | None, actor: str) -> int:
        today = self.today()
        return self._step(county, cert_id, lambda c: c.resolve_objection(number, outcome, reason,
                                                                         resolved_on or today, today, actor))

    def certify(self, county: str, cert_id: UUID, certificate_number: str, certified_on: date | None,
                actor: str) -> int:
        """The certificate, valid ``seller.cert_validity_months`` / ``product.cert_validity_months`` from its
        date; its number is taken in the county in the same transaction (409 when another subject holds it)."""
        today = self.today()
        day = certified_on or today
        for _ in range(8):
            cert = self.certification(county, cert_id)
            months = self._param(county, f"{cert.subject}.cert_validity_months", min(day, today))
            cert.certify(certificate_number, day, today, add_months(day, months), actor)
            number = CertificateNumber(county=county, certificate_number=cert.certificate_number or "",
                                       certification_id=cert.id, subject=cert.subject, subject_id=cert.subject_id,
                                       organisation=cert.organisation)
            try:
                return self.app.record(cert, number)
            except IntegrityError:
                if self.find(number.id) is not None:
                    raise Conflict(f"certificate number {certificate_number!r} is already taken in county "
                                   f"{county}") from None
        raise Conflict("the certification kept changing while we tried to update it; try again")

    def renew(self, county: str, cert_id: UUID, reviewed_on: date | None, opinion: str, actor: str) -> int:
        today = self.today()
        day = reviewed_on or today

        def decide(c: Certification) -> None:
            if c.valid_to is None:
                raise Conflict(f"the {c.subject} certification is {c.status}: nothing to renew")
            months = self._param(county, f"{c.subject}.cert_validity_months", min(day, today))
            c.renew(day, today, add_months(c.valid_to, months), opinion, actor)

        return self._step(county, cert_id, decide)

    def suspend(self, county: str, cert_id: UUID, on: date | None, reason: str, actor: str) -> int:
        today = self.today()
        return self._step(county, cert_id, lambda c: c.suspend(on or today, today, reason, actor))

    def reinstate(self, county: str, cert_id: UUID, on: date | None, reason: str, actor: str) -> int:
        today = self.today()
        return self._step(county, cert_id, lambda c: c.reinstate(on or today, today, reason, actor))

    def revoke(self, county: str, cert_id: UUID, on: date | None, reason: str, actor: str) -> int:
        today = self.today()
        return self._step(county, cert_id, lambda c: c.revoke(on or today, today, reason, actor))
