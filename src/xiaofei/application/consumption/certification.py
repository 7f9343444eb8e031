"""The county's side of certification (认定): township and county review (with the price check of a product),
public notice (公示), objections, the certificate, annual review (年度复核), suspension, reinstatement, revocation.

Sources: 商南县 扶贫产品认定程序（主体申请 → 镇办初审 → 县级审定 → 公示）; 《安徽省扶贫产品认定和管理工作指南》（2020）;
荆州市2020年扶贫产品认定（有效期、年度复核）; 国务院扶贫办等《关于开展消费扶贫行动的通知》（价格核查：同规格同品质平均价）.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from xiaofei.application.consumption.common import ConsumptionBase
from xiaofei.domain import ids
from xiaofei.domain.consumption.certification import CertificateNumber, Certification, PriceCheck, validity_end
from xiaofei.domain.consumption.products import PriceBook, Product
from xiaofei.domain.employment import Organisation
from xiaofei.domain.errors import Conflict, NotFound, invalid

VALIDITY = {"seller": "seller.cert_validity_months", "product": "product.cert_validity_months"}


def price_check(price_fen: int, reference_fen: int | None, band: Decimal, acknowledged: bool,
                note: str) -> PriceCheck:
    """The product's price against the county's reference price: outside the band when it deviates by more
    than ``band`` either way. Without a reference price nothing can be compared (``deviation`` None)."""
    if reference_fen is None:
        return PriceCheck(price_fen=price_fen, reference_price_fen=None, band=str(band), deviation=None,
                          outside_band=False, acknowledged=acknowledged, note=note)
    deviation = (Decimal(price_fen - reference_fen) / Decimal(reference_fen)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return PriceCheck(price_fen=price_fen, reference_price_fen=reference_fen, band=str(band),
                      deviation=str(deviation), outside_band=abs(deviation) > band, acknowledged=acknowledged,
                      note=note)


class CertificationService(ConsumptionBase):
    # -- loading -----------------------------------------------------------------------------------------

    def in_county(self, county: str, certification_id: UUID) -> Certification:
        """The certification, or 404 with the same words whether it exists in another county or not at all."""
        missing = f"no certification {certification_id} in county {county}"
        cert = self.get(certification_id, Certification, missing)
        if cert.county != county:
            raise NotFound(missing)
        return cert

    def detail(self, county: str, certification_id: UUID) -> dict[str, Any]:
        cert = self.in_county(county, certification_id)
        view = self.certification_view(cert)
        org = self.maybe(ids.organisation_id(cert.organisation), Organisation)
        view["organisation_name"] = getattr(org, "name", None)
        product = self.maybe(UUID(cert.subject_id), Product) if cert.subject == "product" else None
        view["product_name"] = product.name if product is not None else None
        view["steps"] = self.steps(cert)
        return view

    def _step(self, county: str, certification_id: UUID, decide: Any) -> int:
        return self.update(lambda: (self.in_county(county, certification_id),), decide)

    # -- application (sellers and products call this) -------------------------------------------------------

    def apply(self, subject: str, subject_id: str, county: str, organisation: str, applied_on: date,
              actor: str) -> tuple[UUID, int]:
        """Create the subject's certification, or apply again after a refusal, revocation or expiry. The same
        application again (same date, still pending) changes nothing."""
        self.stated("applied_on", applied_on)
        township = self.parameter(county, "certification.township_review", applied_on) == 1

        def attempt() -> int:
            cert = self.certification(subject, subject_id)
            if cert is None:
                cert = Certification(subject=subject, subject_id=subject_id, county=county,
                                     organisation=organisation, applied_on=applied_on, township_review=township,
                                     actor=actor)
            elif cert.status in ("applied", "township_review") and cert.applied_on == applied_on:
                return self.app.head_position()
            else:
                cert.reapply(applied_on, self.today(), township, actor)
            return self.app.record(cert)

        return Certification.create_id(subject, subject_id), self.retrying(attempt)

    # -- reviews -------------------------------------------------------------------------------------------

    def township_review(self, county: str, certification_id: UUID, reviewed_on: date, approved: bool, opinion: str,
                        actor: str) -> int:
        today = self.today()
        return self._step(county, certification_id,
                          lambda c: c.township_review_(reviewed_on, today, approved, opinion, actor))

    def county_review(self, county: str, certification_id: UUID, reviewed_on: date, approved: bool, opinion: str,
                      price_acknowledged: bool, price_note: str, actor: str) -> int:
        today = self.today()

        def decide(cert: Certification) -> None:
            check = None
            if cert.subject == "product":
                check = self._price_check(cert, reviewed_on, price_acknowledged, price_note.strip())
                if approved and check.reference_price_fen is None and not check.acknowledged \
                        and cert.status == "applied" and cert.last_step_on <= reviewed_on <= today:
                    product = self._product(cert)
                    raise invalid("price_acknowledged",
                                  f"the county has no reference price for {product.category} / "
                                  f"{product.specification} / {product.unit} on {reviewed_on.isoformat()}: "
                                  "acknowledge the unchecked price to approve (or record a reference price)")
            cert.county_review(reviewed_on, today, approved, opinion, check, actor)

        return self._step(county, certification_id, decide)

    def _product(self, cert: Certification) -> Product:
        return self.get(UUID(cert.subject_id), Product, f"no product {cert.subject_id}")

    def _price_check(self, cert: Certification, on: date, acknowledged: bool, note: str) -> PriceCheck:
        product = self._product(cert)
        book = self.maybe(PriceBook.create_id(cert.county), PriceBook)
        reference = book.reference(product.category, product.specification, product.unit, on) if book else None
        band = self.parameter(cert.county, "product.price_band_pct", on)
        return price_check(product.price_fen, reference.price_fen if reference else None, Decimal(band),
                           acknowledged, note)

    # -- notice and objections -----------------------------------------------------------------------------

    def publish_notice(self, county: str, certification_id: UUID, published_on: date, actor: str) -> int:
        today = self.today()
        self.stated("published_on", published_on)
        days = self.parameter(county, "certification.notice_days", published_on)
        return self._step(county, certification_id, lambda c: c.publish_notice(published_on, today, days, actor))

    def lodge_objection(self, county: str, certification_id: UUID, text: str, lodged_on: date,
                        actor: str) -> tuple[int, int]:
        today = self.today()
        numbers: list[int] = []
        position = self._step(county, certification_id,
                              lambda c: numbers.append(c.lodge_objection(text, lodged_on, today, actor)))
        return numbers[-1], position

    def resolve_objection(self, county: str, certification_id: UUID, number: int, outcome: str, reason: str,
                          resolved_on: date, actor: str) -> int:
        today = self.today()
        return self._step(county, certification_id,
                          lambda c: c.resolve_objection(number, outcome, reason, resolved_on, today, actor))

    # -- the certificate -------------------------------------------------------------------------------------

    def certify(self, county: str, certification_id: UUID, certificate_number: str, certified_on: date,
                actor: str) -> int:
        """Issue the certificate and take its number in the county, in one transaction. A product needs its
        seller certified (valid on the day) with a declared benefit linkage."""
        today = self.today()
        self.stated("certified_on", certified_on)  # before the end date is computed from it
        number = certificate_number.strip()

        def attempt() -> int:
            cert = self.in_county(county, certification_id)
            if cert.status == "certified" and cert.certificate_number == number \
                    and cert.valid_from == certified_on:
                return self.app.head_position()  # the same certificate again
            taken = self.maybe(CertificateNumber.create_id(county, number), CertificateNumber)
            if taken is not None:
                raise Conflict(f"certificate number {number} is already taken in county {county} "
                               f"(by the {taken.subject} certification {taken.certification_id})")
            if cert.subject == "product":
                cert.expect("in_notice")
                self.certified_seller(cert.organisation, min(certified_on, today), "certifying a product")
            months = self.parameter(county, VALIDITY[cert.subject], certified_on)
            cert.certify(number, certified_on, today, validity_end(certified_on, months), actor)
            record = CertificateNumber(county=county, certificate_number=number, certification_id=cert.id,
                                       subject=cert.subject, subject_id=cert.subject_id,
                                       organisation=cert.organisation)
            return self.app.record(cert, record)

        return self.retrying(attempt)

    def renew(self, county: str, certification_id: UUID, reviewed_on: date, opinion: str, actor: str) -> int:
        today = self.today()
        self.stated("reviewed_on", reviewed_on)

        def decide(cert: Certification) -> None:
            months = self.parameter(county, VALIDITY[cert.subject], reviewed_on)
            if cert.valid_to is None:
                cert.expect("certified", "suspended")
            assert cert.valid_to is not None
            # the next period begins the day after the old one ends
            cert.renew(reviewed_on, today, validity_end(cert.valid_to + timedelta(days=1), months), opinion, actor)

        return self._step(county, certification_id, decide)

    def suspend(self, county: str, certification_id: UUID, suspended_on: date, reason: str, actor: str) -> int:
        today = self.today()
        return self._step(county, certification_id, lambda c: c.suspend(suspended_on, today, reason, actor))

    def reinstate(self, county: str, certification_id: UUID, reinstated_on: date, reason: str, actor: str) -> int:
        today = self.today()
        return self._step(county, certification_id, lambda c: c.reinstate(reinstated_on, today, reason, actor))

    def revoke(self, county: str, certification_id: UUID, revoked_on: date, reason: str, actor: str) -> int:
        today = self.today()
        return self._step(county, certification_id, lambda c: c.revoke(revoked_on, today, reason, actor))
