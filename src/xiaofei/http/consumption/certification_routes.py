"""Seller certification (认定): the seller declares its benefit linkage and applies; the county's officials take it
through township review (when the county's ``certification.township_review`` is 1), county review, public notice
(公示, ``certification.notice_days``), objections and the certificate, then suspend, reinstate or revoke it.

Every date a body may state is a business date in Asia/Shanghai; omitted, it is today there."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody

from xiaofei.domain.consumption.certification import Certification
from xiaofei.http.auth import roles
from xiaofei.http.consumption.certification_schemas import (
    AnnualReview,
    Application,
    ApplicationAccepted,
    Certificate,
    CertificationView,
    LinkageDeclare,
    LinkageView,
    Notice,
    Objection,
    ObjectionNumber,
    ObjectionResolution,
    ObjectionView,
    PeriodView,
    Review,
    SellerView,
    Stop,
)
from xiaofei.http.routes import OFFICIAL, READERS, AnyRequest, _command, _services
from xiaofei.http.schemas import CommandAccepted
from xiaofei.domain.errors import NotFound

SELLER = ("seller",)
CertId = FromPath[UUID]


def certification_view(cert: Certification, today: Any) -> CertificationView:
    return CertificationView(
        certification_id=cert.id, subject=cert.subject, subject_id=cert.subject_id, county=cert.county,
        organisation=cert.organisation, status=cert.state_on(today), applied_on=cert.applied_on,
        township_review=cert.township_review, notice_published_on=cert.published_on,
        notice_ends_on=cert.notice_ends, certificate_number=cert.certificate_number, valid_from=cert.valid_from,
        valid_to=cert.valid_to,
        periods=[PeriodView(valid_from=p["from"], valid_to=p["to"], certificate_number=p["certificate"])
                 for p in cert.periods],
        objections=[ObjectionView(number=o.number, text=o.text, lodged_on=o.lodged_on, outcome=o.outcome,
                                  reason=o.reason, resolved_on=o.resolved_on)
                    for _, o in sorted(cert.objections.items())])


class CountyCertificationRoutes(Controller):
    """Mixed into the county's consumption controller."""

    @get("/certifications/{certification_id:uuid}", operation_id="getCertification", opt=roles(*READERS),
         summary="One seller's or product's certification: every step, the notice, objections and periods",
         description="status 'expired' when the certificate's last valid day has passed (Asia/Shanghai).")
    async def get_certification(self, request: AnyRequest, county: FromPath[str],
                                certification_id: CertId) -> CertificationView:
        service = _services(request).certification
        cert = await _command(lambda: service.certification(county, certification_id))
        return certification_view(cert, service.today())

    @post("/certifications/{certification_id:uuid}/township-review", operation_id="townshipReview",
          opt=roles(*OFFICIAL), summary="Record the township's review (乡镇初审), with its opinion",
          description="Only when the county asks for one (409 otherwise). Not approved: the application is refused.")
    async def township_review(self, request: AnyRequest, county: FromPath[str], certification_id: CertId,
                              data: JSONBody[Review]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.township_review(
            county, certification_id, data.reviewed_on, data.approved, data.opinion, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/county-review", operation_id="countyReview",
          opt=roles(*OFFICIAL), summary="Record the county's review (县级审定)",
          description="After the township review where there is one (409 before). Not approved: refused.")
    async def county_review(self, request: AnyRequest, county: FromPath[str], certification_id: CertId,
                            data: JSONBody[Review]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.county_review(
            county, certification_id, data.reviewed_on, data.approved, data.opinion, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/notice", operation_id="publishCertificationNotice",
          opt=roles(*OFFICIAL), summary="Start the public notice (公示) from its real publication date",
          description="Runs 'certification.notice_days' (7 by default). Not before the county review, not in the "
                      "future (422).")
    async def notice(self, request: AnyRequest, county: FromPath[str], certification_id: CertId,
                     data: JSONBody[Notice]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.publish_notice(
            county, certification_id, data.published_on, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/objections", operation_id="lodgeCertificationObjection",
          opt=roles(*OFFICIAL), summary="Record an objection (异议) received during the notice",
          description="Dated within the notice (422 otherwise); while one is open no certificate is issued.")
    async def objection(self, request: AnyRequest, county: FromPath[str], certification_id: CertId,
                        data: JSONBody[Objection]) -> ObjectionNumber:
        service = _services(request).certification
        number, position = await _command(lambda: service.lodge_objection(
            county, certification_id, data.text, data.lodged_on, request.user.actor))
        return ObjectionNumber(number=number, position=position)

    @post("/certifications/{certification_id:uuid}/objections/{number:int}/resolution",
          operation_id="resolveCertificationObjection", opt=roles(*OFFICIAL),
          summary="Resolve an objection: upheld (the application is refused) or dismissed, with the reason",
          description="409 when it is resolved already; 404 for an objection that does not exist.")
    async def resolution(self, request: AnyRequest, county: FromPath[str], certification_id: CertId,
                         number: FromPath[int], data: JSONBody[ObjectionResolution]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.resolve_objection(
            county, certification_id, number, data.outcome, data.reason, data.resolved_on, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/certificate", operation_id="issueCertificate",
          opt=roles(*OFFICIAL), summary="Issue the certificate once the notice has run and no objection is open",
          description="Valid 'seller.cert_validity_months' / 'product.cert_validity_months' (12) from its date. "
                      "Before the notice ends: 422 on certified_on; an open objection or a number already taken "
                      "in the county: 409.")
    async def certificate(self, request: AnyRequest, county: FromPath[str], certification_id: CertId,
                          data: JSONBody[Certificate]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.certify(
            county, certification_id, data.certificate_number, data.certified_on, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/renewal", operation_id="renewCertificate",
          opt=roles(*OFFICIAL), summary="The annual review (年度复核) passed: validity runs on by the validity months",
          description="Only before the certificate has expired (409 after: apply again).")
    async def renewal(self, request: AnyRequest, county: FromPath[str], certification_id: CertId,
                      data: JSONBody[AnnualReview]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.renew(
            county, certification_id, data.reviewed_on, data.opinion, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/suspension", operation_id="suspendCertificate",
          opt=roles(*OFFICIAL), summary="Suspend a certificate: from 'on', nothing sells or counts",
          description="A certified subject only (409 otherwise); 'on' not before the last step nor in the future.")
    async def suspension(self, request: AnyRequest, county: FromPath[str], certification_id: CertId,
                         data: JSONBody[Stop]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.suspend(
            county, certification_id, data.on, data.reason, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/reinstatement", operation_id="reinstateCertificate",
          opt=roles(*OFFICIAL), summary="Reinstate a suspended certificate from 'on' (until its validity ends)",
          description="A suspended subject only (409 otherwise).")
    async def reinstatement(self, request: AnyRequest, county: FromPath[str], certification_id: CertId,
                            data: JSONBody[Stop]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.reinstate(
            county, certification_id, data.on, data.reason, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/revocation", operation_id="revokeCertificate",
          opt=roles(*OFFICIAL), summary="Revoke a certificate: from 'on', nothing sells or counts",
          description="A certified or suspended subject (409 otherwise). It may apply again afterwards.")
    async def revocation(self, request: AnyRequest, county: FromPath[str], certification_id: CertId,
                         data: JSONBody[Stop]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.revoke(
            county, certification_id, data.on, data.reason, request.user.actor)))


class OrganisationSellerRoutes(Controller):
    """Mixed into the organisation's consumption controller."""

    @post("/seller/linkage", operation_id="declareSellerLinkage", opt=roles(*SELLER),
          summary="Declare how households benefit from this seller (联农带农机制)",
          description="Required before the seller applies and before any of its products can be certified. The "
                      "organisation's form must be one a seller can have (households without a licence cannot).")
    async def declare_linkage(self, request: AnyRequest, org: FromPath[str],
                              data: JSONBody[LinkageDeclare]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.declare_linkage(
            org, list(data.mechanisms), data.description, data.declared_on, request.user.actor)))

    @post("/seller/application", operation_id="applyAsSeller", opt=roles(*SELLER),
          summary="Apply for seller certification (or again, after a refusal, revocation or expiry)",
          description="409 without a declared linkage or while an application or certificate stands.")
    async def apply(self, request: AnyRequest, org: FromPath[str],
                    data: JSONBody[Application]) -> ApplicationAccepted:
        service = _services(request).certification
        cert_id, position = await _command(lambda: service.apply_as_seller(org, data.applied_on, request.user.actor))
        return ApplicationAccepted(certification_id=cert_id, position=position)

    @get("/seller", operation_id="getSeller", opt=roles(*SELLER, *READERS),
         summary="The seller: its organisation, declared linkage and certification",
         description="404 before the seller has declared a linkage.")
    async def seller(self, request: AnyRequest, org: FromPath[str]) -> SellerView:
        service = _services(request).certification

        def read() -> SellerView:
            seller = service.seller(org)
            if seller is None:
                raise NotFound(f"organisation {org} has not declared a seller's linkage")
            cert = service.find(Certification.create_id("seller", org))
            linkage = seller.linkage
            return SellerView(
                credit_code=seller.credit_code, name=seller.name, form=seller.form, county=seller.county,
                linkage=None if linkage is None else LinkageView(
                    mechanisms=list(linkage["mechanisms"]), description=str(linkage["description"]),  # type: ignore[call-overload]
                    declared_on=linkage["declared_on"]),  # type: ignore[arg-type]
                certification=certification_view(cert, service.today()) if isinstance(cert, Certification) else None)

        return await _command(read)
