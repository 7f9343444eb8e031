"""Channel-sales uploads (渠道销售) by a seller or a county official, and the seller's linkage payments (利益联结兑付).
Bodies of an upload are read raw: JSON ``{"sales": […]}``, CSV (UTF-8 or GB18030) or an XLSX workbook."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

from xiaofei.application.consumption.channel import ChannelSalesService, Uploaded
from xiaofei.application.consumption.channel_rows import MAX_ROWS, Parsed, parse_json, parse_table
from xiaofei.application.consumption.linkage import PaymentInput
from xiaofei.application.tables import CSV_TYPES, XLSX_TYPES
from xiaofei.http.auth import roles
from xiaofei.http.consumption.order_schemas import (
    ChannelUploadResult,
    ChannelUploadView,
    CommandKey,
    LinkagePaymentCreate,
    LinkagePaymentRecorded,
    LinkagePaymentView,
)
from xiaofei.http.routes import OFFICIAL, READERS, AnyRequest, MinPosition, _command, _services

T = TypeVar("T")
SELLER = ("seller",)
UPLOAD = (f"All or nothing, at most {MAX_ROWS:,} sales: every row error is listed (422 `errors: [{{row, field, "
          "reason}}]`, nothing recorded). A sale counts only when the product's certificate and its seller's both "
          "cover its date: a sale dated after the expiry, before the start or while suspended is a row error. A sale "
          "whose seller, channel and reference were recorded before (by any upload) is `already_known`, not a second "
          "sale; another seller's row under the same channel and reference is another sale. "
          "The same `Idempotency-Key` with the same bytes answers the first receipt (`replayed`); with other bytes "
          "409. Columns: sold_on (销售日期), certificate_number (产品认定证书编号), quantity, amount_fen (whole fen), "
          "channel (platform_832, ecommerce, counter, offline), reference (渠道订单号), buyer_type, budget_unit "
          "(optional: a registered budget unit's key) and tag (optional: east_west, designated).")
RECEIPT = "Read from the receipt itself (always current): rows, recorded, already_known, the file's SHA-256."


def _as(kind: type[T], value: Any) -> T:
    return msgspec.convert(value, kind, from_attributes=True)


async def _rows(request: AnyRequest, today: Any) -> tuple[bytes, str, Parsed]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media == "application/json":
        rows = await _command(lambda: parse_json(body, today))
    elif media in CSV_TYPES or media in XLSX_TYPES:
        rows = await _command(lambda: parse_table(body, media in XLSX_TYPES, today))
    else:
        raise HTTPException(status_code=415, detail="send application/json, text/csv or an XLSX workbook")
    return body, media, rows


def _result(uploaded: Uploaded) -> ChannelUploadResult:
    return ChannelUploadResult(**ChannelSalesService.view(uploaded.receipt), replayed=uploaded.replayed,
                               position=uploaded.position)


class CountyChannelRoutes(Controller):
    """Mixed into the county's consumption controller (through ``order_routes``)."""

    @post("/channel-sales", operation_id="uploadCountyChannelSales", opt=roles(*OFFICIAL),
          summary="Upload sales of the county's certified products on other channels (832, e-commerce, counters)",
          description="An official of the county uploads sales of any certified product of the county (its "
                      "certificate number is looked up in the county). " + UPLOAD)
    async def upload_county(self, request: AnyRequest, county: FromPath[str],
                            idempotency_key: CommandKey) -> ChannelUploadResult:
        service = _services(request).channel_sales
        body, media, rows = await _rows(request, service.today())
        return _result(await _command(lambda: service.upload(county, None, idempotency_key, body, media, rows,
                                                             request.user.actor)))

    @get("/channel-sales/{upload_id:uuid}", operation_id="getCountyChannelUpload", opt=roles(*READERS),
         summary="The receipt of a channel-sales upload of the county (by an official or a seller of the county)",
         description=RECEIPT + " 404 for another county's.")
    async def get_county_upload(self, request: AnyRequest, county: FromPath[str], upload_id: FromPath[UUID],
                                min_position: MinPosition = None) -> ChannelUploadView:
        service = _services(request).channel_sales
        return _as(ChannelUploadView, await _command(lambda: service.view(service.receipt(upload_id,
                                                                                          county=county))))


class OrganisationChannelRoutes(Controller):
    """Mixed into the organisation's consumption controller (through ``order_routes``)."""

    @post("/channel-sales", operation_id="uploadChannelSales", opt=roles(*SELLER),
          summary="Upload the seller's sales on other channels (832, e-commerce, counters, offline)",
          description="Only the seller's own certified products (a certificate number of another seller is a row "
                      "error). " + UPLOAD)
    async def upload(self, request: AnyRequest, org: FromPath[str],
                     idempotency_key: CommandKey) -> ChannelUploadResult:
        service = _services(request).channel_sales
        county = (await _command(lambda: service.seller_organisation(org))).county
        body, media, rows = await _rows(request, service.today())
        return _result(await _command(lambda: service.upload(county, org, idempotency_key, body, media, rows,
                                                             request.user.actor)))

    @get("/channel-sales/{upload_id:uuid}", operation_id="getChannelUpload", opt=roles(*SELLER, *READERS),
         summary="The receipt of one of the seller's channel-sales uploads",
         description=RECEIPT + " 404 for another seller's.")
    async def get_upload(self, request: AnyRequest, org: FromPath[str], upload_id: FromPath[UUID],
                         min_position: MinPosition = None) -> ChannelUploadView:
        service = _services(request).channel_sales
        return _as(ChannelUploadView, await _command(lambda: service.view(service.receipt(upload_id, seller=org))))

    # -- linkage payments ---------------------------------------------------------------------------------------

    @post("/linkage-payments", operation_id="recordLinkagePayment", opt=roles(*SELLER),
          summary="Record a payment to a linked household: procurement, revenue-share payout or recovery, land "
                  "rent, dividend",
          description="`procurement` (订单收购) names the produce and the quantity as the receipt says; "
                      "`revenue_share_payout` (产品收益分红兑付) names the seller's product whose pool it settles and "
                      "may go to `collective` (the village collective's part): it may not exceed what is owed to that "
                      "payee for that product (422 on amount_fen naming what is owed; no advance), and waits for the "
                      "revenue share to be computed up to now (409 if that takes longer than the read wait); "
                      "`revenue_share_recovery` (产品收益分红追回) records revenue share paid beyond what is accrued "
                      "(a refund after the payout) that the payee gave back, at most what is to be recovered; "
                      "`land_rent` (土地流转租金) and `dividend` (入股分红) go to a household. A household payee must "
                      "be registered in the seller's county, in the product's origin county for a payout, or in "
                      "another county whose household one of the seller's plans names (`payee_county`; 422 naming "
                      "payee or payee_county). The reference is unique on the seller's ledger: the same one again is "
                      "409.")
    async def record_payment(self, request: AnyRequest, org: FromPath[str],
                             data: JSONBody[LinkagePaymentCreate]) -> LinkagePaymentRecorded:
        service = _services(request).linkage
        payment = PaymentInput(kind=data.kind, payee=data.payee, amount_fen=data.amount_fen, paid_on=data.paid_on,
                               reference=data.reference, produce=data.produce, quantity=data.quantity,
                               product_id=data.product_id, note=data.note, payee_county=data.payee_county)
        position = await _command(lambda: service.record(org, payment, request.user.actor))
        return LinkagePaymentRecorded(reference=payment.reference, position=position)

    @get("/linkage-payments/{reference:str}", operation_id="getLinkagePayment", opt=roles(*SELLER, *READERS),
         summary="One of the seller's linkage payments, by its reference",
         description="Read from the seller's ledger itself (always current).")
    async def get_payment(self, request: AnyRequest, org: FromPath[str], reference: FromPath[str],
                          min_position: MinPosition = None) -> LinkagePaymentView:
        service = _services(request).linkage
        return _as(LinkagePaymentView, await _command(lambda: service.payment(org, reference)))
