"""A seller's own commands: declare its benefit linkage (联农带农机制), apply for certification; and its profile.

A seller is a registered organisation (``employment.Organisation``) of a seller form; its ``Seller`` aggregate is
opened from it the first time the seller acts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from xiaofei.application.consumption.certification import CertificationService
from xiaofei.application.consumption.common import ConsumptionBase
from xiaofei.domain.consumption.sellers import Seller
from xiaofei.domain.employment import Organisation


class SellerService(ConsumptionBase):
    def __init__(self, certification: CertificationService) -> None:
        super().__init__(certification.app, certification.policy, certification.clock)
        self.certification_service = certification

    def today(self) -> date:
        return self.certification_service.today()  # one business clock for the whole workflow

    def _seller(self, org: Organisation) -> Seller:
        return self.seller(org.credit_code) or Seller(credit_code=org.credit_code, county=org.county, name=org.name,
                                                     form=org.form)

    def _with_seller(self, credit_code: str, decide: Callable[[Seller], None]) -> int:
        def attempt() -> int:
            seller = self._seller(self.seller_organisation(credit_code))
            decide(seller)
            return self.app.record(seller)

        return self.retrying(attempt)

    def declare_linkage(self, credit_code: str, mechanisms: list[str], description: str, declared_on: date,
                        actor: str) -> int:
        self.stated("declared_on", declared_on)
        return self._with_seller(credit_code, lambda s: s.declare_linkage(mechanisms, description, declared_on,
                                                                          actor))

    def apply(self, credit_code: str, applied_on: date, actor: str) -> tuple[UUID, int]:
        """The seller's certification application (opening its Seller side first if it has none)."""
        org = self.seller_organisation(credit_code)
        self.stated("applied_on", applied_on)
        if self.seller(credit_code) is None:
            self._with_seller(credit_code, lambda s: None)
        return self.certification_service.apply("seller", credit_code, org.county, credit_code, applied_on, actor)

    def profile(self, credit_code: str) -> dict[str, Any]:
        org = self.organisation(credit_code)
        seller = self.seller(credit_code)
        cert = self.certification("seller", credit_code)
        return {
            "credit_code": org.credit_code,
            "name": org.name,
            "form": org.form,
            "county": org.county,
            "address": org.address,
            "linkage": None if seller is None or seller.linkage is None else dict(seller.linkage),
            "certification": None if cert is None else self.certification_view(cert),
        }
