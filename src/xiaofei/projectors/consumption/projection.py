"""The consumption projection: writes each event's facts, then recomputes what they reach (see ``derive``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.clock import business_day
from xiaofei.domain.consumption.buyers import Buyer
from xiaofei.domain.consumption.certification import Certification
from xiaofei.domain.consumption.channel import ChannelSale, ChannelUpload
from xiaofei.domain.consumption.linkage import LinkageLedger
from xiaofei.domain.consumption.orders import Order
from xiaofei.domain.consumption.products import PriceBook, Product
from xiaofei.domain.consumption.sellers import Seller
from xiaofei.domain.policy import PolicyBook
from xiaofei.domain.registry import Household
from xiaofei.projectors.base import BatchProjection
from xiaofei.projectors.consumption import facts
from xiaofei.projectors.consumption.derive import derive


class ConsumptionProjection(BatchProjection):
    name = "consumption"

    def apply(self, cur: psycopg.Cursor[DictRow], events: Sequence[Any]) -> None:
        dirty = facts.Dirty()
        stamps = [e.timestamp for e in events if getattr(e, "timestamp", None) is not None]
        dirty.log_day = business_day(max(stamps)) if stamps else None
        for e in events:
            if isinstance(e, Certification.Event):
                facts.record_certification(cur, e, dirty)
            elif isinstance(e, Seller.Event):
                facts.record_seller(cur, e)
            elif isinstance(e, Product.Event):
                facts.record_product(cur, e, dirty)
            elif isinstance(e, PriceBook.Event):
                facts.record_price_book(cur, e, dirty)
            elif isinstance(e, Buyer.Event):
                facts.record_buyer(cur, e)
            elif isinstance(e, Order.Event):
                facts.record_order(cur, e, dirty)
            elif isinstance(e, ChannelSale.Event | ChannelUpload.Event):
                facts.record_channel(cur, e, dirty)
            elif isinstance(e, LinkageLedger.Event):
                facts.record_payment(cur, e)
            elif isinstance(e, Household.Event):
                facts.record_household(cur, e, dirty)
            elif isinstance(e, PolicyBook.Event):
                facts.record_policy(cur, e, dirty)
        derive(cur, dirty, sorted(dirty.new_sales))
