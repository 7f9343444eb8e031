"""Reads of the consumption projection: certifications to review, sellers and products by status, recognised sales,
revenue-share pools, reserved-share progress, linkage obligations, flags, a household's linkage income, and the
catalogue. Every list is paged (``limit`` ≤ 500, ``after`` = the previous page's ``next_after``) and takes
``min_position`` (wait for your own write). "Today" is the Asia/Shanghai business date."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter

from xiaofei.domain.clock import business_today
from xiaofei.domain.errors import invalid
from xiaofei.http.auth import roles
from xiaofei.http.routes import READERS, After, AnyRequest, Limit, MinPosition, _command, _fresh, _month, _services
from xiaofei.queries.consumption import linkage as lq
from xiaofei.queries.consumption import lists as cq
from xiaofei.queries.consumption import sales as sq

SELLER = ("seller",)
BUYER = ("buyer",)
Year = Annotated[int, QueryParameter(ge=2000, le=2200, description="Calendar year")]
OptionalMonth = Annotated[str | None, QueryParameter(max_length=7, description="YYYY-MM")]
HouseholdNumber = Annotated[str, Parameter(min_length=1, max_length=30, pattern=r"^[0-9A-Za-z]+$")]
Fen = Annotated[int | None, QueryParameter(ge=0, le=10**11, description="Fen (分)")]
Text = Annotated[str | None, QueryParameter(max_length=50, description="Words in the product's, specification's or "
                                                                  "seller's name")]
Category = Annotated[str | None, QueryParameter(max_length=30, description="A category code, e.g. tea")]
ProductStatus = Literal["not_applied", "applied", "township_review", "reviewed", "in_notice", "refused", "certified",
                        "suspended", "revoked", "expired", "delisted", "seller_not_certified"]
SellerStatus = Literal["not_applied", "applied", "township_review", "reviewed", "in_notice", "refused", "certified",
                       "suspended", "revoked", "expired"]
Subject = Literal["seller", "product"]
OrderStatus = Literal["placed", "paid", "shipped", "received", "completed", "cancelled"]
SALES = ("A sale counts (统计口径) when the product's and the seller's certificates both covered its day: a received "
         "order line on its receipt date, a channel sale on its sale date; a refund after receipt is negative in "
         "the month it was recorded, never an earlier one. `by` groups by month, product, seller, category, buyer "
         "type, tag, channel, township (the origin village code's first 9 digits) or village; `from`/`to` bound "
         "the months.")


def _today() -> date:
    return business_today()


async def _owed_flag_days(request: AnyRequest, county: str) -> int:
    """``linkage.owed_flag_days`` in force for the county today (read off the event loop: it loads policy books)."""
    buyers = _services(request).buyers
    return int(await _command(lambda: buyers.parameter(county, "linkage.owed_flag_days", _today())))


def _checked(field: str, value: str | None, pattern: str, reason: str) -> str | None:
    """An optional query value checked here: inside ``X | None`` the documented pattern is not enforced."""
    if value is not None and re.fullmatch(pattern, value) is None:
        raise invalid(field, reason)
    return value


async def _computed_flags(request: AnyRequest, pool: Any, county: str, kind: str | None) -> list[cq.Flag]:
    """The flags read off the obligations: revenue share owed too long (depends on today) and recoveries open."""
    if kind not in (None, "revenue_share_overdue", "revenue_share_recovery_open"):
        return []
    days = await _owed_flag_days(request, county)
    found: list[cq.Flag] = []
    after = None
    while True:
        page = await lq.obligations(pool, today=_today(), owed_flag_days=days, county=county, after=after, limit=500)
        for o in page.items:
            who = {"seller": o.seller, "payee": o.payee, "household_county": o.household_county}
            if o.overdue and kind in (None, "revenue_share_overdue"):
                found.append(cq.Flag(flag_key=f"owed:{o.seller}:{o.household_county or ''}:{o.payee}",
                                     kind="revenue_share_overdue", subject=f"{o.seller}:{o.payee}",
                                     evidence={**who, "owed_fen": o.owed_fen,
                                               "oldest_unpaid_month": o.oldest_unpaid_month,
                                               "owed_flag_days": days}))
            if o.recovery_open and kind in (None, "revenue_share_recovery_open"):
                found.append(cq.Flag(
                    flag_key=f"recovery:{o.seller}:{o.household_county or ''}:{o.payee}",
                    kind="revenue_share_recovery_open", subject=f"{o.seller}:{o.payee}",
                    evidence={**who, "to_recover_fen": o.to_recover_fen,
                              "products": [{"product_id": str(p.product_id), "accrued_fen": p.accrued_fen,
                                            "paid_fen": p.paid_fen, "to_recover_fen": p.to_recover_fen}
                                           for p in o.products if p.to_recover_fen]}))
        if page.next_after is None:
            return found
        after = page.next_after


class CountyConsumptionReads(Controller):
    """Mixed into the county's consumption controller."""

    @get("/certifications", operation_id="listCountyCertifications", opt=roles(*READERS),
         summary="The county's certifications (认定) of sellers and products: applications to review, by status",
         description="`status` as of today (`expired` once past valid_to); `subject` filters sellers or products. "
                     "Paged by application date.")
    async def certifications(self, request: AnyRequest, county: FromPath[str],
                             subject: FromQuery[Subject | None] = None,
                             status: FromQuery[cq.CertStatus | None] = None, after: After = None, limit: Limit = 100,
                             min_position: MinPosition = None) -> cq.CertificationPage:
        pool = await _fresh(request, min_position, "consumption")
        return await cq.certifications(pool, county, _today(), subject=subject, status=status, after=after,
                                       limit=limit)

    @get("/sellers", operation_id="listCountySellers", opt=roles(*READERS),
         summary="The county's sellers with their certification status and product counts",
         description="`status` is the seller certification's as of today (`not_applied` without one). Paged by "
                     "credit code.")
    async def sellers(self, request: AnyRequest, county: FromPath[str], status: FromQuery[SellerStatus | None] = None,
                      after: After = None, limit: Limit = 100, min_position: MinPosition = None) -> cq.SellerPage:
        pool = await _fresh(request, min_position, "consumption")
        return await cq.sellers(pool, county, _today(), status=status, after=after, limit=limit)

    @get("/products", operation_id="listCountyProducts", opt=roles(*READERS),
         summary="The county's products with their certification status, price, stock and whether they can be ordered",
         description="`status` as of today (`delisted` once delisted). Paged by product id.")
    async def products(self, request: AnyRequest, county: FromPath[str],
                       status: FromQuery[ProductStatus | None] = None, after: After = None, limit: Limit = 100,
                       min_position: MinPosition = None) -> cq.ProductPage:
        pool = await _fresh(request, min_position, "consumption")
        return await cq.products(pool, _today(), county=county, status=status, after=after, limit=limit)

    @get("/sales", operation_id="listCountySales", opt=roles(*READERS),
         summary="Recognised sales (认定产品销售额) of the county's sellers, by month and a grouping", description=SALES)
    async def sales(self, request: AnyRequest, county: FromPath[str], by: FromQuery[sq.SalesBy] = "month",
                    month_from: Annotated[str | None, QueryParameter(name="from", max_length=7)] = None,
                    month_to: Annotated[str | None, QueryParameter(name="to", max_length=7)] = None,
                    after: After = None, limit: Limit = 100, min_position: MinPosition = None) -> sq.SalesPage:
        pool = await _fresh(request, min_position, "consumption")
        return await sq.sales(pool, county=county, by=by, month_from=_month(month_from, "from"),
                              month_to=_month(month_to, "to"), after=after, limit=limit)

    @get("/revenue-pools", operation_id="listCountyRevenuePools", opt=roles(*READERS),
         summary="Revenue-share pools (产品收益分红) per product and month, with each household's and the collective's part",
         description=sq.RULE + ". Paged by month and product.")
    async def pools(self, request: AnyRequest, county: FromPath[str], month: FromQuery[OptionalMonth] = None,
                    product: FromQuery[UUID | None] = None, after: After = None, limit: Limit = 100,
                    min_position: MinPosition = None) -> sq.PoolPage:
        pool = await _fresh(request, min_position, "consumption")
        return await sq.pools(pool, county=county, product=product, month=_month(month, "month"), after=after,
                              limit=limit)

    @get("/sale-rows", operation_id="listCountySaleRows", opt=roles(*READERS),
         summary="The recognised-sales ledger behind the figures: each order line, refund and channel sale",
         description="Each row names its order or channel sale, its day, amount and whether it counts (both "
                     "certificates covered its day). `product` and `month` narrow it to one pool's rows. Paged by "
                     "row key.")
    async def sale_rows(self, request: AnyRequest, county: FromPath[str], product: FromQuery[UUID | None] = None,
                        month: FromQuery[OptionalMonth] = None, after: After = None, limit: Limit = 100,
                        min_position: MinPosition = None) -> sq.SaleLedgerPage:
        pool = await _fresh(request, min_position, "consumption")
        return await sq.sale_rows(pool, county, product=product, month=_month(month, "month"), after=after,
                                  limit=limit)

    @get("/reserved-share-progress", operation_id="listCountyReservedShareProgress", opt=roles(*READERS),
         summary="Each budget unit's reserved share (预留份额) of a year and its progress",
         description="Progress = counted purchases of the year net of refunds (the unit's own, those its trade "
                     "union and staff tag to it, channel sales naming it, and those of units sharing its canteen) "
                     "÷ the reserved amount. Units without a filing show `kind` null. Paged by unit key.")
    async def progress(self, request: AnyRequest, county: FromPath[str], year: FromQuery[Year],
                       after: After = None, limit: Limit = 100,
                       min_position: MinPosition = None) -> sq.ProgressPage:
        pool = await _fresh(request, min_position, "consumption")
        return await sq.progress(pool, year=year, county=county, after=after, limit=limit)

    @get("/linkage-obligations", operation_id="listCountyLinkageObligations", opt=roles(*READERS),
         summary="What each seller owes each household and the collective: revenue share accrued, paid, owed",
         description=(lq.__doc__ or "").strip() + " `payee` gives one household's obligations across sellers, "
                     "`seller` one seller's. Paged by seller and payee.")
    async def obligations(self, request: AnyRequest, county: FromPath[str],
                          seller: FromQuery[Annotated[str | None, QueryParameter(max_length=18)]] = None,
                          payee: FromQuery[Annotated[str | None, QueryParameter(
                              max_length=30, description="A household number, or collective")]] = None,
                          after: After = None, limit: Limit = 100,
                          min_position: MinPosition = None) -> lq.ObligationPage:
        pool = await _fresh(request, min_position, "consumption")
        days = await _owed_flag_days(request, county)
        return await lq.obligations(pool, today=_today(), owed_flag_days=days, county=county, seller=seller,
                                    payee=payee, after=after, limit=limit)

    @get("/consumption-flags", operation_id="listConsumptionFlags", opt=roles(*READERS),
         summary="Integrity flags of the consumption slice, each with its evidence",
         description="The flags that hold now: `sales_beyond_capacity`, `price_outside_band`, "
                     "`plan_household_ineligible` are raised as events arrive (and gone once they no longer hold); "
                     "`revenue_share_overdue` is computed as of today, and `revenue_share_recovery_open` stands "
                     "while a payee holds revenue share paid beyond what is accrued (a refund after the payout). "
                     "Paged by flag key.")
    async def flags(self, request: AnyRequest, county: FromPath[str], kind: FromQuery[cq.FlagKind | None] = None,
                    after: After = None, limit: Limit = 100,
                    min_position: MinPosition = None) -> cq.FlagPage:
        pool = await _fresh(request, min_position, "consumption")
        computed = await _computed_flags(request, pool, county, kind)
        return await cq.flags(pool, county, kind=kind, after=after, limit=limit, computed=computed)

    @get("/households/{household_number:str}/linkage-income", operation_id="getHouseholdLinkageIncome",
         opt=roles(*READERS),
         summary="What benefit linkage (利益联结) brought a household: revenue share, procurement, rent, dividends",
         description="Property income (财产性): revenue share accrued in the month of the sales, land rent, "
                     "dividends; operating income (生产经营性, gross): produce a seller bought from it. Each line "
                     "names its pool or payment. `year` limits the months. `revenue_share` settles each seller's "
                     "share: accrued, paid, owed and what is to be recovered (追回) after a refund of a paid share.")
    async def household_income(self, request: AnyRequest, county: FromPath[str],
                               household_number: FromPath[HouseholdNumber], year: FromQuery[Year | None] = None,
                               min_position: MinPosition = None) -> lq.HouseholdIncome:
        if year is not None and not 2000 <= year <= 2200:  # inside ``X | None`` the bounds are not enforced
            raise invalid("year", "must be a year from 2000 to 2200")
        pool = await _fresh(request, min_position, "consumption")
        days = await _owed_flag_days(request, county)
        return await lq.household_income(pool, county, household_number, year, today=_today(), owed_flag_days=days)


class OrganisationConsumptionReads(Controller):
    """Mixed into the organisation's consumption controller."""

    @get("/products", operation_id="listSellerProducts", opt=roles(*SELLER),
         summary="The seller's products with certification status, price, stock and whether they can be ordered",
         description="Paged by product id.")
    async def products(self, request: AnyRequest, org: FromPath[str], status: FromQuery[ProductStatus | None] = None,
                       after: After = None, limit: Limit = 100, min_position: MinPosition = None) -> cq.ProductPage:
        pool = await _fresh(request, min_position, "consumption")
        return await cq.products(pool, _today(), seller=org, status=status, after=after, limit=limit)

    @get("/orders", operation_id="listOrganisationOrders", opt=roles("seller", "buyer"),
         summary="Orders: a seller's to fulfil, a buyer's own", description="A seller token lists the orders of its "
         "products; a buyer token its own. `status` filters. Paged by placing time.")
    async def orders(self, request: AnyRequest, org: FromPath[str], status: FromQuery[OrderStatus | None] = None,
                     after: After = None, limit: Limit = 100, min_position: MinPosition = None) -> cq.OrderPage:
        pool = await _fresh(request, min_position, "consumption")
        role = "buyer" if request.user.role == "buyer" else "seller"
        return await cq.orders(pool, org, role=role, status=status, after=after, limit=limit)

    @get("/channel-uploads", operation_id="listChannelUploads", opt=roles(*SELLER),
         summary="The seller's channel-sales uploads: rows, recorded, already known", description="Paged by time.")
    async def uploads(self, request: AnyRequest, org: FromPath[str], after: After = None, limit: Limit = 100,
                      min_position: MinPosition = None) -> cq.UploadPage:
        pool = await _fresh(request, min_position, "consumption")
        return await cq.uploads(pool, org, after=after, limit=limit)

    @get("/sales", operation_id="listSellerSales", opt=roles(*SELLER),
         summary="The seller's recognised sales by month and a grouping", description=SALES)
    async def sales(self, request: AnyRequest, org: FromPath[str], by: FromQuery[sq.SalesBy] = "month",
                    month_from: Annotated[str | None, QueryParameter(name="from", max_length=7)] = None,
                    month_to: Annotated[str | None, QueryParameter(name="to", max_length=7)] = None,
                    after: After = None, limit: Limit = 100, min_position: MinPosition = None) -> sq.SalesPage:
        pool = await _fresh(request, min_position, "consumption")
        return await sq.sales(pool, seller=org, by=by, month_from=_month(month_from, "from"),
                              month_to=_month(month_to, "to"), after=after, limit=limit)

    @get("/revenue-pools", operation_id="listSellerRevenuePools", opt=roles(*SELLER),
         summary="The seller's revenue-share pools per product and month, with each payee's part",
         description=sq.RULE + ".")
    async def pools(self, request: AnyRequest, org: FromPath[str], month: FromQuery[OptionalMonth] = None,
                    after: After = None, limit: Limit = 100, min_position: MinPosition = None) -> sq.PoolPage:
        pool = await _fresh(request, min_position, "consumption")
        return await sq.pools(pool, seller=org, month=_month(month, "month"), after=after, limit=limit)

    @get("/obligations", operation_id="listSellerObligations", opt=roles(*SELLER),
         summary="What the seller owes its linked households and the collective: accrued, paid, owed",
         description=(lq.__doc__ or "").strip())
    async def obligations(self, request: AnyRequest, org: FromPath[str], after: After = None, limit: Limit = 100,
                          min_position: MinPosition = None) -> lq.ObligationPage:
        pool = await _fresh(request, min_position, "consumption")
        county = await pool.fetchval("SELECT county FROM rm_consumption.sellers WHERE credit_code = $1", org)
        if county is None:
            return lq.ObligationPage(items=[], next_after=None, owed_flag_days=0)
        days = await _owed_flag_days(request, county)
        return await lq.obligations(pool, today=_today(), owed_flag_days=days, seller=org, after=after, limit=limit)

    @get("/reserved-share-progress", operation_id="getReservedShareProgress", opt=roles(*BUYER),
         summary="The budget unit's reserved share of a year and its progress",
         description="Progress = counted purchases of the year net of refunds (its own, those its trade union and "
                     "staff tag to it, channel sales naming it, those of units sharing its canteen) ÷ reserved. "
                     "A page like every list (one row, the unit's own): `after` and `limit` as elsewhere.")
    async def progress(self, request: AnyRequest, org: FromPath[str], year: FromQuery[Year], after: After = None,
                       limit: Limit = 100, min_position: MinPosition = None) -> sq.ProgressPage:
        pool = await _fresh(request, min_position, "consumption")
        return await sq.progress(pool, year=year, unit=org, after=after, limit=limit)


class CatalogueController(Controller):
    path = "/catalogue"
    tags = ["consumption"]

    @get("/", operation_id="searchCatalogue", opt=roles("buyer", "seller", "county_official", "auditor"),
         summary="Products that can be ordered today: certified and unexpired, of certified sellers",
         description="Search by county, category, price range (fen) and words in the product's, specification's "
                     "or seller's name. Paged by product id.")
    async def search(self, request: AnyRequest, county: FromQuery[Annotated[str | None, QueryParameter(
            max_length=6, description="A county code")]] = None, category: FromQuery[Category] = None, min_price_fen: FromQuery[Fen] = None,
            max_price_fen: FromQuery[Fen] = None, q: FromQuery[Text] = None, after: After = None,
            limit: Limit = 100, min_position: MinPosition = None) -> cq.ProductPage:
        pool = await _fresh(request, min_position, "consumption")
        for field, fen in (("min_price_fen", min_price_fen), ("max_price_fen", max_price_fen)):
            if fen is not None and not 0 <= fen <= 10**11:
                raise invalid(field, "must be a whole number of fen from 0 to 10^11")
        county = _checked("county", county, r"\d{6}", "must be a 6-digit county code")
        category = _checked("category", category, r"[a-z_]{1,30}", "must be a category code, e.g. tea")
        q = _checked("q", q, r"[^\x00-\x1f\x7f]{1,50}", "must be 1–50 printable characters")
        return await cq.catalogue(pool, _today(), county=county, category=category, min_price_fen=min_price_fen,
                                  max_price_fen=max_price_fen, text=q, after=after, limit=limit)
