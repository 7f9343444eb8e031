"""Request and response bodies of orders, channel-sales uploads and linkage payments. Names are distinct from every
other Struct of the project (the OpenAPI components are keyed by name)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar.params import HeaderParameter

from xiaofei.domain.consumption.categories import described
from xiaofei.domain.consumption.channel import PriceWarning
from xiaofei.http.schemas import LINES, ONE_LINE, PositiveFen

CommandKey = Annotated[str, HeaderParameter(
    name="Idempotency-Key", min_length=8, max_length=100, pattern=r"^[!-~]+$",
    description="A unique key per command (8–100 visible ASCII characters): the same key with the same body is "
                "answered from what the first call did (`replayed`), the same key with another body is 409")]
Day = Annotated[date, msgspec.Meta(description="A business date (Asia/Shanghai): not in the future, not before the "
                                               "step it follows", examples=["2026-05-11"])]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=LINES, examples=["买错规格"])]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$",
                                        description="A payment, shipment or order reference: one line, not blank",
                                        examples=["ZF20260511-0001"])]


# -- orders -----------------------------------------------------------------------------------------------------------

class OrderLineIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    product_id: UUID
    quantity: Annotated[int, msgspec.Meta(ge=1, le=10**6, description="Units of the product's unit")]


class OrderCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    lines: Annotated[list[OrderLineIn], msgspec.Meta(min_length=1, max_length=100,
                                                     description="One line per product, all of one seller")]
    tag: Annotated[str, msgspec.Meta(pattern=r"^(east_west|designated)$",
                                     description="east_west (东西部协作) or designated (定点帮扶)")] | None = None


class OrderPlaced(msgspec.Struct, kw_only=True):
    order_id: UUID
    total_fen: int
    replayed: bool
    """True when this key and body placed the order before: nothing was written now."""
    position: int


class OrderPayment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    paid_on: Day
    payment_reference: Reference


class OrderShipment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    shipped_on: Day
    tracking: Annotated[str, msgspec.Meta(max_length=100, pattern=ONE_LINE, examples=["SF1234567890"])] = ""


class OrderReceipt(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    received_on: Day


class OrderCompletion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    completed_on: Day


class OrderCancellation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Reason


class OrderRefund(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_no: Annotated[int, msgspec.Meta(ge=1, le=100, description="The order line (1 = the first)")]
    amount_fen: PositiveFen
    reason: Reason


class OrderStepAccepted(msgspec.Struct, kw_only=True):
    replayed: bool
    """True when this key and body did this before: nothing was written now."""
    position: int


class OrderRefunded(msgspec.Struct, kw_only=True):
    refund_no: int
    replayed: bool
    position: int


class OrderLineView(msgspec.Struct, kw_only=True):
    line_no: int
    product_id: UUID
    name: str
    category: str
    quantity: int
    unit_price_fen: int
    """The product's price when the order was placed."""
    amount_fen: int
    certificate_number: str
    """The product's certificate (认定证书) that covered the day the order was placed."""
    certified_until: date
    """The last day of that certificate's period as it stood when the order was placed."""
    refunded_fen: int


class OrderRefundView(msgspec.Struct, kw_only=True):
    refund_no: int
    line_no: int
    amount_fen: int
    reason: str
    refunded_on: date


class OrderDates(msgspec.Struct, kw_only=True):
    placed: date
    paid: date | None = None
    shipped: date | None = None
    received: date | None = None
    completed: date | None = None
    cancelled: date | None = None


class OrderView(msgspec.Struct, kw_only=True):
    order_id: UUID
    version: int
    buyer: str
    buyer_type: str
    counts_for: str | None
    seller: str
    county: str
    """The seller's county."""
    status: str
    """placed, paid, shipped, received, completed or cancelled."""
    tag: str | None
    dates: OrderDates
    payment_reference: str | None
    tracking: str | None
    lines: list[OrderLineView]
    total_fen: int
    refunded_fen: int
    refunds: list[OrderRefundView]


# -- channel sales -----------------------------------------------------------------------------------------------------

class ChannelUploadView(msgspec.Struct, kw_only=True):
    upload_id: UUID
    uploader: str
    """The seller's credit code, or ``county:<code>`` for a county official's upload."""
    county: str
    file_sha256: str
    media_type: str
    rows: int
    recorded: int
    """Sales recorded by this upload."""
    already_known: int
    """Rows whose seller, channel and reference were recorded before (by any upload): not a second sale."""
    recorded_at: datetime
    price_warnings: list[PriceWarning]
    """Recorded rows whose unit price is outside the band around the county's reference price (both in force on
    the sale day): recorded and counted, and flagged (`channel_price_outside_band`) for the county to check."""


class ChannelUploadResult(ChannelUploadView, kw_only=True):
    replayed: bool
    """True when this key and these bytes were uploaded before: nothing was written now."""
    position: int


# -- linkage payments ---------------------------------------------------------------------------------------------------

class LinkagePaymentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: Annotated[str, msgspec.Meta(
        pattern=r"^(procurement|revenue_share_payout|revenue_share_recovery|land_rent|dividend)$",
        description="procurement (订单收购), revenue_share_payout (产品收益分红兑付), revenue_share_recovery "
                    "(产品收益分红追回: revenue share paid beyond what is accrued, given back), land_rent "
                    "(土地流转租金), dividend (入股分红)")]
    payee: Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z_-]+$",
                                       description="A household number (户编号), or `collective` (the village "
                                                   "collective's part of a revenue-share payout or recovery)",
                                       examples=["H001"])]
    payee_county: Annotated[str, msgspec.Meta(
        pattern=r"^[0-9]{6}$", description="The payee household's county when it is not the seller's (a payout's: "
                                           "the product's origin county): a household of another county that one "
                                           "of the seller's plans names. Found by itself when one plan names the "
                                           "number.", examples=["360724"])] | None = None
    amount_fen: PositiveFen
    paid_on: Day
    reference: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$",
                                           description="The seller's payment reference, unique on its ledger",
                                           examples=["SG-2026-0001"])]
    produce: Annotated[str, msgspec.Meta(max_length=40, examples=["grain_oil"], description=(
        "procurement only: the category of what was bought, the one vocabulary products use: " + described()
        + ". Its operating cost is the category's income.cost_ratio class (粮油 grain; 畜禽 livestock; 水果, 林特产品 "
          "forest_fruit; 烟叶 tobacco; the rest other_crops)"))] | None = None
    quantity: Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=ONE_LINE,
                                          description="procurement only: the quantity with its unit, as the receipt "
                                                      "says", examples=["500 斤"])] | None = None
    product_id: UUID | None = None
    """revenue_share_payout and revenue_share_recovery only: the seller's product whose pool it settles."""
    note: Annotated[str, msgspec.Meta(max_length=500, pattern=LINES)] = ""


class LinkagePaymentRecorded(msgspec.Struct, kw_only=True):
    reference: str
    position: int


class LinkagePaymentView(msgspec.Struct, kw_only=True):
    seller: str
    county: str
    kind: str
    payee: str
    payee_county: str | None
    """The payee household's county; null for the collective."""
    amount_fen: int
    paid_on: date
    reference: str
    produce: str | None
    quantity: str | None
    product_id: UUID | None
    note: str
    actor: str
