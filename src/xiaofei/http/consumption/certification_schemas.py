"""Request and response bodies of seller and product certification, products, reference prices, buyers and their
reserved-share filings. Names are distinct from every other Struct of the project (the OpenAPI components are
keyed by name)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from xiaofei.domain.bounds import MAX_COUNT
from xiaofei.domain.consumption.categories import described
from xiaofei.http.schemas import Code6, Count, Fen, Month, Note, PositiveCount, PositiveFen, Text, Village

Day = Annotated[date, msgspec.Meta(description="A business date (Asia/Shanghai): not in the future, not before "
                                               "the step it follows", examples=["2026-05-11"])]
Rate = Annotated[str, msgspec.Meta(pattern=r"^(0(\.[0-9]{1,4})?|1(\.0{1,4})?)$",
                                   description="A share between 0 and 1 as a decimal string with at most 4 "
                                               "decimals, e.g. \"0.10\"", examples=["0.10"])]
Opinion = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
                                      description="The reviewer's opinion (审核意见)")]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z]+$",
                                  description="A buyer's key: its credit code, or the key the county gave an individual")]
CreditCode = Annotated[str, msgspec.Meta(min_length=1, max_length=32, description="Unified social credit code (GB 32100)",
                                         examples=["12360724MB1234567X"])]


# -- sellers ---------------------------------------------------------------------------------------------------------

class LinkageDeclare(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mechanisms: Annotated[list[str], msgspec.Meta(
        min_length=1, max_length=5, description="procurement (订单收购), revenue_share (产品收益分红), land_rent (土地流转租金), "
                                                "dividend (入股分红), wages (务工)", examples=[["procurement", "revenue_share"]])]
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
                                             examples=["保底价收购脱贫户茶青，产品销售额的10%用于分红"])]
    declared_on: Day


class CertificationApply(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    applied_on: Day


class CertificationApplied(msgspec.Struct, kw_only=True):
    certification_id: UUID
    position: int


class SellerLinkageView(msgspec.Struct, kw_only=True):
    mechanisms: list[str]
    description: str
    declared_on: date


class PriceCheckView(msgspec.Struct, kw_only=True):
    price_fen: int
    reference_price_fen: int | None
    band: str
    deviation: str | None
    outside_band: bool
    acknowledged: bool
    note: str


class CertificationObjectionView(msgspec.Struct, kw_only=True):
    number: int
    text: str
    lodged_on: date
    outcome: str | None
    reason: str | None
    resolved_on: date | None


class CertificationPeriodSpan(msgspec.Struct, kw_only=True, rename={"from_": "from"}):
    from_: date
    to: date
    """The last day it counts (inclusive)."""
    certificate: str


class CertificationSummary(msgspec.Struct, kw_only=True):
    certification_id: UUID
    subject: str
    """``seller`` or ``product``."""
    subject_id: str
    county: str
    organisation: str
    status: str
    """township_review, applied, reviewed, in_notice, refused, certified, suspended, revoked, or expired (certified
    but past valid_to)."""
    valid_today: bool
    applied_on: date
    township_review: bool
    published_on: date | None
    notice_ends: date | None
    certificate_number: str | None
    valid_from: date | None
    valid_to: date | None
    price_check: PriceCheckView | None
    objections: list[CertificationObjectionView]
    periods: list[CertificationPeriodSpan]


class CertificationStep(msgspec.Struct, kw_only=True):
    version: int
    step: str
    on: date | None
    recorded_at: datetime
    actor: str | None
    details: dict[str, Any]


class CertificationDetail(CertificationSummary, kw_only=True):
    organisation_name: str | None
    product_name: str | None
    steps: list[CertificationStep]


class SellerProfile(msgspec.Struct, kw_only=True):
    credit_code: str
    name: str
    form: str
    county: str
    address: str
    linkage: SellerLinkageView | None
    certification: CertificationSummary | None


# -- products --------------------------------------------------------------------------------------------------------

class PlanHouseholdIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    household_number: Text
    weight: Annotated[int, msgspec.Meta(gt=0, le=10**6)]


class LinkagePlanIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    households: Annotated[list[PlanHouseholdIn], msgspec.Meta(max_length=5000)] = []
    mechanisms: Annotated[list[str], msgspec.Meta(min_length=1, max_length=5, examples=[["revenue_share"]])]
    revenue_share_rate: Rate


class ProductCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    category: Annotated[str, msgspec.Meta(max_length=40, examples=["tea"], description=(
        "one of the vocabulary procurements use too: " + described()))]
    specification: Text
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[^\x00-\x1f\x7f]*$", examples=["罐"])]
    price_fen: PositiveFen
    stock: Count
    origin_county: Code6
    origin_village: Village | None = None
    yearly_capacity: PositiveCount
    plan: LinkagePlanIn


class ProductCreated(msgspec.Struct, kw_only=True):
    product_id: UUID
    position: int


class PriceChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    price_fen: PositiveFen
    reason: Text


class StockAdjust(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    delta: Annotated[int, msgspec.Meta(ge=-MAX_COUNT, le=MAX_COUNT, description="Units added (+) or taken off (−); not 0")]
    reason: Text


class PlanChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    plan: LinkagePlanIn
    effective_month: Month
    reason: Text


class Delisting(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Text


class PlanHouseholdOut(msgspec.Struct, kw_only=True):
    household_number: str
    weight: int


class LinkagePlanOut(msgspec.Struct, kw_only=True):
    households: list[PlanHouseholdOut]
    mechanisms: list[str]
    revenue_share_rate: str


class ProductDetail(msgspec.Struct, kw_only=True):
    product_id: UUID
    seller: str
    county: str
    name: str
    category: str
    specification: str
    unit: str
    price_fen: int
    stock: int
    origin_county: str
    origin_village: str | None
    yearly_capacity: int
    plan: LinkagePlanOut
    listed_on: date
    delisted_on: date | None
    seller_certified_today: bool
    certification: CertificationSummary | None


# -- reference prices --------------------------------------------------------------------------------------------------

class ReferencePriceCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    category: Annotated[str, msgspec.Meta(max_length=40, examples=["tea"])]
    specification: Text
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[^\x00-\x1f\x7f]*$")]
    price_fen: PositiveFen
    effective_from: date
    source: Text


class ReferencePriceRow(msgspec.Struct, kw_only=True):
    category: str
    specification: str
    unit: str
    price_fen: int
    effective_from: date
    source: str


class ReferencePricePage(msgspec.Struct, kw_only=True):
    items: list[ReferencePriceRow]
    next_after: str | None


# -- county reviews and steps -----------------------------------------------------------------------------------------

class TownshipReview(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reviewed_on: Day
    approved: bool
    opinion: Opinion


class CountyReview(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reviewed_on: Day
    approved: bool
    opinion: Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")] = ""
    price_acknowledged: bool = False
    """For a product whose price is outside the band around the county's reference price, or has no reference
    price: the official saw it and approves anyway (recorded with the review)."""
    price_note: Note = ""


class CertificationNotice(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    published_on: Day


class CertificationObjectionLodge(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: Opinion
    lodged_on: Day


class CertificationObjectionLodged(msgspec.Struct, kw_only=True):
    number: int
    position: int


class CertificationObjectionResolve(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    outcome: Annotated[str, msgspec.Meta(description="upheld (the application is refused) or dismissed",
                                         examples=["dismissed"])]
    reason: Opinion
    resolved_on: Day


class CertificateIssue(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    certificate_number: Text
    certified_on: Day


class CertificationRenewal(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reviewed_on: Day
    opinion: Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")] = ""


class CertificationSuspend(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    suspended_on: Day
    reason: Text


class CertificationReinstate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reinstated_on: Day
    reason: Text


class CertificationRevoke(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    revoked_on: Day
    reason: Text


# -- buyers --------------------------------------------------------------------------------------------------------------

class BuyerCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Text
    buyer_type: Annotated[str, msgspec.Meta(
        description="budget_unit (预算单位), enterprise (企业), trade_union (工会), east_west_partner (东西部协作单位), "
                    "individual (个人)", examples=["budget_unit"])]
    credit_code: CreditCode | None = None
    """Required except for an individual (who is given a key)."""
    counts_for: Key | None = None
    """A trade union or an individual: the registered budget unit its purchases count for."""


class BuyerRegistered(msgspec.Struct, kw_only=True):
    key: str
    """The buyer's key (its credit code, or ``IND…`` for an individual): the organisation_id of its tokens."""
    position: int


class ShareFilingCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    year: Annotated[int, msgspec.Meta(ge=2000, le=2099)]
    kind: Annotated[str, msgspec.Meta(description="canteen, no_canteen (exempt) or shared_canteen",
                                      examples=["canteen"])]
    canteen_budget_fen: Fen = 0
    reserved_share_rate: Rate = "0"
    shared_with: Key | None = None
    reason: Annotated[str, msgspec.Meta(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""
    """Required when the year's filing exists (a correction)."""


class ShareFilingView(msgspec.Struct, kw_only=True):
    year: int
    kind: str
    canteen_budget_fen: int
    reserved_share_rate: str
    shared_with: str | None
    reserved_fen: int
    minimum_rate: str
    filed_on: date


class ShareFilingAccepted(msgspec.Struct, kw_only=True):
    filing: ShareFilingView
    position: int


class BuyerProfile(msgspec.Struct, kw_only=True):
    key: str
    name: str
    buyer_type: str
    county: str
    credit_code: str | None
    counts_for: str | None
    filings: list[ShareFilingView]
