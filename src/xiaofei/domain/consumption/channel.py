"""Sales of certified products on other channels (the national 832 platform, e-commerce shops, 专柜 counters),
uploaded by sellers and county officials. Each sale is known by its channel and the channel's own reference
(``ids.channel_sale_id``), so a sale uploaded twice is recorded once; an upload keeps a receipt per
``Idempotency-Key``."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids

CHANNELS: dict[str, str] = {
    "platform_832": "832平台",
    "ecommerce": "电商平台",
    "counter": "消费帮扶专柜",
    "offline": "线下批发/直销",
}


class ChannelSaleFacts(msgspec.Struct, frozen=True, kw_only=True):
    product_id: UUID
    seller: str
    certificate_number: str
    sold_on: date
    quantity: int
    amount_fen: int
    channel: str
    reference: str
    buyer_type: str
    budget_unit: str | None
    tag: str | None


class ChannelSale(Aggregate):
    @staticmethod
    def create_id(sale: ChannelSaleFacts) -> UUID:
        return ids.channel_sale_id(sale.seller, sale.channel, sale.reference)

    class Recorded(Aggregate.Created):
        county: str
        sale: ChannelSaleFacts
        upload_id: UUID
        actor: str

    @event(Recorded)
    def __init__(self, county: str, sale: ChannelSaleFacts, upload_id: UUID, actor: str) -> None:
        self.county = county
        self.sale = sale
        self.upload_id = upload_id


class PriceWarning(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded row whose amount is not its quantity at a price the seller could charge: its unit price is outside
    the band (``product.price_band_pct`` in force on the sale day) around the county's reference price for the
    product's category, specification and unit in force that day. The sale is recorded and counts; the row is
    flagged for the county to check (an entry error, or a price no reference explains)."""
    row: int
    reference: str
    product_id: UUID
    sold_on: date
    quantity: int
    amount_fen: int
    reference_price_fen: int
    band: str
    deviation: str
    """(amount ÷ quantity − reference) ÷ reference, 4 decimals."""


class ChannelUpload(Aggregate):
    """The receipt of one channel-sales upload: same key and same bytes → the first answer, nothing written."""

    @staticmethod
    def create_id(uploader: str, idempotency_key: str) -> UUID:
        return ids.channel_upload_id(uploader, idempotency_key)

    class Recorded(Aggregate.Created):
        uploader: str
        county: str
        idempotency_key: str
        file_sha256: str
        media_type: str
        rows: int
        recorded: int
        already_known: int
        actor: str
        price_warnings: list[PriceWarning]
        class_version: ClassVar[int] = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Uploads before the price check carried no warnings."""
            state["price_warnings"] = []

    @event(Recorded)
    def __init__(self, uploader: str, county: str, idempotency_key: str, file_sha256: str, media_type: str,
                 rows: int, recorded: int, already_known: int, actor: str,
                 price_warnings: list[PriceWarning]) -> None:
        self.price_warnings = price_warnings
        self.uploader = uploader
        self.county = county
        self.file_sha256 = file_sha256
        self.media_type = media_type
        self.rows = rows
        self.recorded = recorded
        self.already_known = already_known
