"""Certification and registration: sellers, products, reference prices, buyers and their reserved-share filings.

Every command answers its log ``position``. The reads here come straight from the aggregates (no projection), so
they are current at once. Every read takes ``min_position`` like any other: on the organisation reads the guard waits
for it (an official reading a just-registered organisation is not told "not found"), elsewhere it is met at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from xiaofei.application.consumption.products import Listing
from xiaofei.domain.consumption.products import LinkagePlan, PlanHousehold
from xiaofei.http.auth import roles
from xiaofei.http.consumption.certification_schemas import (
    BuyerCreate,
    BuyerProfile,
    BuyerRegistered,
    CertificateIssue,
    CertificationApplied,
    CertificationApply,
    CertificationDetail,
    CertificationNotice,
    CertificationObjectionLodge,
    CertificationObjectionLodged,
    CertificationObjectionResolve,
    CertificationReinstate,
    CertificationRenewal,
    CertificationRevoke,
    CertificationSuspend,
    CountyReview,
    Delisting,
    LinkageDeclare,
    LinkagePlanIn,
    PlanChange,
    PriceChange,
    ProductCreate,
    ProductCreated,
    ProductDetail,
    ReferencePriceCreate,
    ReferencePricePage,
    ReferencePriceRow,
    SellerProfile,
    ShareFilingAccepted,
    ShareFilingCreate,
    ShareFilingView,
    StockAdjust,
    TownshipReview,
)
from xiaofei.http.routes import (OFFICIAL, READERS, After, AnyRequest, Limit, MinPosition, _command, _from_log,
                                 _services)
from xiaofei.http.schemas import CommandAccepted

T = TypeVar("T")
SELLER = ("seller",)
BUYER = ("buyer",)
DATES = ("Every stated date is a business date (Asia/Shanghai): not in the future and not before the step it "
         "follows (422 naming the field).")


def _as(kind: type[T], value: Any) -> T:
    return msgspec.convert(value, kind, from_attributes=True)


def _plan(plan: LinkagePlanIn) -> LinkagePlan:
    return LinkagePlan(households=[PlanHousehold(household_number=h.household_number, weight=h.weight)
                                   for h in plan.households],
                       mechanisms=list(plan.mechanisms), revenue_share_rate=Decimal(plan.revenue_share_rate))


def _filing(filing: Any) -> ShareFilingView:
    return _as(ShareFilingView, msgspec.to_builtins(filing))


class CountyCertificationRoutes(Controller):
    """Mixed into the county's consumption controller."""

    # -- buyers --------------------------------------------------------------------------------------------------

    @post("/buyers", operation_id="registerBuyer", opt=roles(*OFFICIAL),
          summary="Register a buyer (budget unit, enterprise, trade union, east–west partner or individual)",
          description="By unified social credit code (GB 32100 check character; any division: an east–west partner "
                      "or a provincial unit is registered here though issued elsewhere); an individual (个人) has "
                      "none and is given a key `IND` + 15 digits. A trade union or an individual may name the "
                      "registered budget unit its purchases count for (`counts_for`). The key is the "
                      "`organisation_id` of the buyer's tokens. 409 when the credit code is already registered.")
    async def register_buyer(self, request: AnyRequest, county: FromPath[str],
                             data: JSONBody[BuyerCreate]) -> BuyerRegistered:
        buyers = _services(request).buyers
        key, position = await _command(lambda: buyers.register(county, data.name, data.buyer_type, data.credit_code,
                                                               data.counts_for, request.user.actor))
        return BuyerRegistered(key=key, position=position)

    # -- reference prices --------------------------------------------------------------------------------------------

    @post("/reference-prices", operation_id="recordReferencePrice", opt=roles(*OFFICIAL),
          summary="Record a reference price (参考均价) for a category, specification and unit from a date",
          description="The price check of a product's county review compares its price with the reference in force "
                      "on the review date (the latest effective_from on or before it) for the product's category, "
                      "specification and unit. Recording the same price again changes nothing.")
    async def record_reference_price(self, request: AnyRequest, county: FromPath[str],
                                     data: JSONBody[ReferencePriceCreate]) -> CommandAccepted:
        products = _services(request).products
        return CommandAccepted(position=await _command(lambda: products.record_reference_price(
            county, data.category, data.specification, data.unit, data.price_fen, data.effective_from, data.source,
            request.user.actor)))

    @get("/reference-prices", operation_id="listReferencePrices", opt=roles(*READERS),
         summary="The county's reference prices, by category, specification, unit and effective date",
         description="Paged (`limit` ≤ 500, `after` = the previous page's `next_after`); `category` filters. Read "
                     "from the county's price book itself (always current: `min_position` is met at once).")
    async def reference_prices(self, request: AnyRequest, county: FromPath[str],
                               category: FromQuery[str | None] = None, after: After = None,
                               limit: Limit = 100, min_position: MinPosition = None) -> ReferencePricePage:
        await _from_log(request, min_position)
        products = _services(request).products
        rows, next_after = await _command(lambda: products.reference_prices(county, category, after, limit))
        return ReferencePricePage(items=[_as(ReferencePriceRow, r) for r in rows], next_after=next_after)

    # -- certifications ---------------------------------------------------------------------------------------------

    @get("/certifications/{certification_id:uuid}", operation_id="getCertification", opt=roles(*READERS),
         summary="A seller's or product's certification: status, every step, price check, objections, periods",
         description="Read from the certification itself (always current: `min_position` is met at once). `status` is as of today in "
                     "Asia/Shanghai (`expired` once past valid_to); `periods` are the spans it counts (a suspension "
                     "or revocation ends one the day before). 404 for another county's.")
    async def get_certification(self, request: AnyRequest, county: FromPath[str],
                                certification_id: FromPath[UUID],
                                min_position: MinPosition = None) -> CertificationDetail:
        await _from_log(request, min_position)
        service = _services(request).certification
        return _as(CertificationDetail, await _command(lambda: service.detail(county, certification_id)))

    @post("/certifications/{certification_id:uuid}/township-review", operation_id="townshipReviewCertification",
          opt=roles(*OFFICIAL), summary="The township's review (乡镇初审) with its opinion",
          description="Only where the county's `certification.township_review` was 1 on the application date. "
                      "Refused: the subject may apply again. " + DATES)
    async def township_review(self, request: AnyRequest, county: FromPath[str], certification_id: FromPath[UUID],
                              data: JSONBody[TownshipReview]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.township_review(
            county, certification_id, data.reviewed_on, data.approved, data.opinion, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/county-review", operation_id="countyReviewCertification",
          opt=roles(*OFFICIAL), summary="The county's review (县级审定); for a product, with the price check",
          description="For a product the price check compares its price with the county's reference price in force "
                      "on `reviewed_on` for its category, specification and unit, within ± `product.price_band_pct`. "
                      "Outside the band, or without any reference price, approval needs `price_acknowledged` (422 "
                      "naming it otherwise); the check, the acknowledgement and `price_note` are recorded with the "
                      "review. " + DATES)
    async def county_review(self, request: AnyRequest, county: FromPath[str], certification_id: FromPath[UUID],
                            data: JSONBody[CountyReview]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.county_review(
            county, certification_id, data.reviewed_on, data.approved, data.opinion, data.price_acknowledged,
            data.price_note, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/notice", operation_id="publishCertificationNotice",
          opt=roles(*OFFICIAL), summary="Publish the public notice (公示) of an approved application",
          description="It runs `certification.notice_days` (in force on `published_on`) after the day it was "
                      "published, its first day not counted (民法典 §201): published on D for 7 days, objections "
                      "are taken through D+7 and the certificate comes from D+8. It cannot be backdated before the "
                      "county review. " + DATES)
    async def publish_notice(self, request: AnyRequest, county: FromPath[str], certification_id: FromPath[UUID],
                             data: JSONBody[CertificationNotice]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.publish_notice(
            county, certification_id, data.published_on, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/objections", operation_id="lodgeCertificationObjection",
          opt=roles(*OFFICIAL), summary="Record an objection (异议) received during the notice",
          description="Lodged on a day of the notice (not before it was published, not after it ended, not in the "
                      "future). Answers the objection's number, by which it is resolved.")
    async def lodge_objection(self, request: AnyRequest, county: FromPath[str], certification_id: FromPath[UUID],
                              data: JSONBody[CertificationObjectionLodge]) -> CertificationObjectionLodged:
        service = _services(request).certification
        number, position = await _command(lambda: service.lodge_objection(
            county, certification_id, data.text, data.lodged_on, request.user.actor))
        return CertificationObjectionLodged(number=number, position=position)

    @post("/certifications/{certification_id:uuid}/objections/{number:int}/resolution",
          operation_id="resolveCertificationObjection", opt=roles(*OFFICIAL),
          summary="Resolve an objection: upheld (the application is refused) or dismissed, with the reason",
          description="An upheld objection refuses the application (the subject may apply again); a dismissed one "
                      "lets the certificate be issued once the notice has run and no other objection is open. "
                      "Not before the objection was lodged, not in the future.")
    async def resolve_objection(self, request: AnyRequest, county: FromPath[str], certification_id: FromPath[UUID],
                                number: FromPath[int], data: JSONBody[CertificationObjectionResolve]
                                ) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.resolve_objection(
            county, certification_id, number, data.outcome, data.reason, data.resolved_on, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/certificate", operation_id="issueCertificate",
          opt=roles(*OFFICIAL), summary="Issue the certificate (认定证书): number and date; validity follows",
          description="Only once the notice has run (422 naming certified_on before it ends) and no objection is "
                      "open (409). Valid from `certified_on` to `certified_on` + `seller.cert_validity_months` or "
                      "`product.cert_validity_months`. A product needs its seller certified and valid with a "
                      "declared benefit linkage (409). The number is taken in the county in the same transaction: "
                      "a number already taken is 409. The same certificate again changes nothing.")
    async def issue_certificate(self, request: AnyRequest, county: FromPath[str], certification_id: FromPath[UUID],
                                data: JSONBody[CertificateIssue]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.certify(
            county, certification_id, data.certificate_number, data.certified_on, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/renewal", operation_id="renewCertification",
          opt=roles(*OFFICIAL), summary="The annual review (年度复核) passed: validity runs on by the validity months",
          description="The new valid_to is the old one + `seller.cert_validity_months` / "
                      "`product.cert_validity_months` (in force on `reviewed_on`). Not after the certificate "
                      "expired (409: apply again). " + DATES)
    async def renew(self, request: AnyRequest, county: FromPath[str], certification_id: FromPath[UUID],
                    data: JSONBody[CertificationRenewal]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.renew(
            county, certification_id, data.reviewed_on, data.opinion, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/suspension", operation_id="suspendCertification",
          opt=roles(*OFFICIAL), summary="Suspend a certificate from a date, with the reason",
          description="From `suspended_on` the subject stops selling and stops counting (its period ends the day "
                      "before). " + DATES)
    async def suspend(self, request: AnyRequest, county: FromPath[str], certification_id: FromPath[UUID],
                      data: JSONBody[CertificationSuspend]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.suspend(
            county, certification_id, data.suspended_on, data.reason, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/reinstatement", operation_id="reinstateCertification",
          opt=roles(*OFFICIAL), summary="Reinstate a suspended certificate from a date, with the reason",
          description="A new period counts from `reinstated_on` to the certificate's valid_to. " + DATES)
    async def reinstate(self, request: AnyRequest, county: FromPath[str], certification_id: FromPath[UUID],
                        data: JSONBody[CertificationReinstate]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.reinstate(
            county, certification_id, data.reinstated_on, data.reason, request.user.actor)))

    @post("/certifications/{certification_id:uuid}/revocation", operation_id="revokeCertification",
          opt=roles(*OFFICIAL), summary="Revoke a certificate from a date, with the reason",
          description="From `revoked_on` the subject stops selling and counting; it may apply again. " + DATES)
    async def revoke(self, request: AnyRequest, county: FromPath[str], certification_id: FromPath[UUID],
                     data: JSONBody[CertificationRevoke]) -> CommandAccepted:
        service = _services(request).certification
        return CommandAccepted(position=await _command(lambda: service.revoke(
            county, certification_id, data.revoked_on, data.reason, request.user.actor)))


class OrganisationSellerRoutes(Controller):
    """Mixed into the organisation's consumption controller."""

    # -- the seller ---------------------------------------------------------------------------------------------------

    @post("/seller/linkage", operation_id="declareSellerLinkage", opt=roles(*SELLER),
          summary="Declare the seller's benefit linkage (联农带农机制): mechanisms and how households benefit",
          description="Needed before any of the seller's products can be certified. The organisation must be "
                      "registered as an enterprise, cooperative, family farm or village collective (409 otherwise). "
                      "A later declaration replaces the earlier one.")
    async def declare_linkage(self, request: AnyRequest, org: FromPath[str],
                              data: JSONBody[LinkageDeclare]) -> CommandAccepted:
        sellers = _services(request).sellers
        return CommandAccepted(position=await _command(lambda: sellers.declare_linkage(
            org, list(data.mechanisms), data.description, data.declared_on, request.user.actor)))

    @post("/seller/application", operation_id="applySellerCertification", opt=roles(*SELLER),
          summary="Apply for the seller's certification (认定申请), or apply again after a refusal, revocation or expiry",
          description="Goes to the township's review first where the county's `certification.township_review` is 1 "
                      "on `applied_on`, else straight to the county's. The same pending application again changes "
                      "nothing. " + DATES)
    async def apply_seller(self, request: AnyRequest, org: FromPath[str],
                           data: JSONBody[CertificationApply]) -> CertificationApplied:
        sellers = _services(request).sellers
        certification_id, position = await _command(lambda: sellers.apply(org, data.applied_on, request.user.actor))
        return CertificationApplied(certification_id=certification_id, position=position)

    @get("/seller", operation_id="getSeller", opt=roles(*SELLER, *READERS),
         summary="The seller: organisation, declared benefit linkage, certification (status as of today)",
         description="Read from the seller's own records (always current); `min_position` only lets an official "
                     "find an organisation registered a moment ago.")
    async def get_seller(self, request: AnyRequest, org: FromPath[str],
                         min_position: MinPosition = None) -> SellerProfile:
        sellers = _services(request).sellers
        return _as(SellerProfile, await _command(lambda: sellers.profile(org)))

    # -- products -------------------------------------------------------------------------------------------------------

    @post("/products", operation_id="listProduct", opt=roles(*SELLER),
          summary="List a product with its benefit linkage plan (利益联结方案)",
          description="Only a certified seller (valid today) lists. The origin county is the seller's own or another "
                      "county registered on the platform (the 脱贫县 it sells for); the village, when given, is in "
                      "the origin county. Households of the plan are named by household number; one not registered "
                      "is not refused here (the consumption flags name it). `revenue_share_rate` is above 0 exactly "
                      "when the plan has the revenue_share mechanism.")
    async def list_product(self, request: AnyRequest, org: FromPath[str],
                           data: JSONBody[ProductCreate]) -> ProductCreated:
        products = _services(request).products
        listing = Listing(name=data.name, category=data.category, specification=data.specification, unit=data.unit,
                          price_fen=data.price_fen, stock=data.stock, origin_county=data.origin_county,
                          origin_village=data.origin_village, yearly_capacity=data.yearly_capacity,
                          plan=_plan(data.plan))
        product_id, position = await _command(lambda: products.list_product(org, listing, request.user.actor))
        return ProductCreated(product_id=product_id, position=position)

    @get("/products/{product_id:uuid}", operation_id="getSellerProduct", opt=roles(*SELLER, *READERS),
         summary="One of the seller's products: listing, price, stock, plan, certification",
         description="Read from the product itself (always current). 404 for another seller's product.")
    async def get_product(self, request: AnyRequest, org: FromPath[str], product_id: FromPath[UUID],
                          min_position: MinPosition = None) -> ProductDetail:
        products = _services(request).products
        return _as(ProductDetail, await _command(lambda: products.detail(org, product_id)))

    @post("/products/{product_id:uuid}/price", operation_id="changeProductPrice", opt=roles(*SELLER),
          summary="Change a product's price (fen), with the reason",
          description="Orders placed from now on carry the new price; the price check of a later county review "
                      "sees it.")
    async def change_price(self, request: AnyRequest, org: FromPath[str], product_id: FromPath[UUID],
                           data: JSONBody[PriceChange]) -> CommandAccepted:
        products = _services(request).products
        return CommandAccepted(position=await _command(lambda: products.change_price(
            org, product_id, data.price_fen, data.reason, request.user.actor)))

    @post("/products/{product_id:uuid}/stock", operation_id="adjustProductStock", opt=roles(*SELLER),
          summary="Adjust a product's stock by a quantity (+ or −), with the reason",
          description="Stock never goes below zero (409).")
    async def adjust_stock(self, request: AnyRequest, org: FromPath[str], product_id: FromPath[UUID],
                           data: JSONBody[StockAdjust]) -> CommandAccepted:
        products = _services(request).products
        return CommandAccepted(position=await _command(lambda: products.adjust_stock(
            org, product_id, data.delta, data.reason, request.user.actor)))

    @post("/products/{product_id:uuid}/plan", operation_id="changeProductPlan", opt=roles(*SELLER),
          summary="Change a product's benefit linkage plan from a month, with the reason",
          description="The revenue-share pools of `effective_month` on use the new households and weights. "
                      "`effective_month` is the current month (Asia/Shanghai) or a later one (422 otherwise): months "
                      "already accrued keep the plan they were accrued under, and a refund of an earlier month's "
                      "sale is taken back under the plan that shared that sale.")
    async def change_plan(self, request: AnyRequest, org: FromPath[str], product_id: FromPath[UUID],
                          data: JSONBody[PlanChange]) -> CommandAccepted:
        products = _services(request).products
        plan = _plan(data.plan)
        return CommandAccepted(position=await _command(lambda: products.change_plan(
            org, product_id, plan, data.effective_month, data.reason, request.user.actor)))

    @post("/products/{product_id:uuid}/delisting", operation_id="delistProduct", opt=roles(*SELLER),
          summary="Delist a product (today), with the reason",
          description="A delisted product is no longer ordered, changed or certified.")
    async def delist(self, request: AnyRequest, org: FromPath[str], product_id: FromPath[UUID],
                     data: JSONBody[Delisting]) -> CommandAccepted:
        products = _services(request).products
        return CommandAccepted(position=await _command(lambda: products.delist(
            org, product_id, data.reason, request.user.actor)))

    @post("/products/{product_id:uuid}/certification-application", operation_id="applyProductCertification",
          opt=roles(*SELLER), summary="Apply for a product's certification, or apply again after a refusal, "
                                      "revocation or expiry",
          description="Only when the seller is certified (valid on `applied_on`) and has declared its benefit "
                      "linkage (409 otherwise). The same workflow as a seller's, with a price check at the county "
                      "review. " + DATES)
    async def apply_product(self, request: AnyRequest, org: FromPath[str], product_id: FromPath[UUID],
                            data: JSONBody[CertificationApply]) -> CertificationApplied:
        products = _services(request).products
        certification_id, position = await _command(lambda: products.apply(
            org, product_id, data.applied_on, request.user.actor))
        return CertificationApplied(certification_id=certification_id, position=position)

    # -- the buyer ------------------------------------------------------------------------------------------------------

    @get("/buyer", operation_id="getBuyer", opt=roles(*BUYER, *READERS),
         summary="The buyer: type, the budget unit it counts for, its reserved-share filings by year",
         description="Read from the buyer's own records (always current).")
    async def get_buyer(self, request: AnyRequest, org: FromPath[str],
                        min_position: MinPosition = None) -> BuyerProfile:
        buyers = _services(request).buyers
        profile = await _command(lambda: buyers.profile(org))
        return BuyerProfile(**{**profile, "filings": [_filing(f) for f in profile["filings"]]})

    @post("/reserved-shares", operation_id="fileReservedShare", opt=roles(*BUYER, *OFFICIAL),
          summary="File a budget unit's reserved share (预留份额) of a year: canteen, no canteen, or shared canteen",
          description="`canteen`: the canteen food budget and a rate of at least `purchase.reserved_share_min` "
                      "in force for the unit's county on 1 January of the year (the most specific scope: a province "
                      "may set more than the national 10%; 422 naming reserved_share_rate with the minimum); "
                      "reserved = budget × rate rounded half up to the fen. `no_canteen`: exempt (budget and rate "
                      "0). `shared_canteen`: names the registered budget unit that files (`shared_with`). A second "
                      "filing of a year replaces the first and needs a `reason`; the same filing again changes "
                      "nothing. An official of the unit's county may file for it.")
    async def file_share(self, request: AnyRequest, org: FromPath[str],
                         data: JSONBody[ShareFilingCreate]) -> ShareFilingAccepted:
        buyers = _services(request).buyers
        filing, position = await _command(lambda: buyers.file_share(
            org, data.year, data.kind, data.canteen_budget_fen, Decimal(data.reserved_share_rate), data.shared_with,
            data.reason, request.user.actor))
        return ShareFilingAccepted(filing=_filing(filing), position=position)
