"""What a seller pays the households of its benefit linkage (利益联结), one ledger per seller.

- a **procurement** (订单收购): produce bought from a household → the household's operating income, gross;
- a **payout** of revenue share (产品收益分红) accrued in the consumption projection → settles what is owed;
- **land rent** (土地流转租金) and **dividends** (入股分红) → property income.

Every payment carries the seller's payment reference, unique on its ledger: the same payment recorded twice is
refused, not counted twice.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.errors import Conflict

PRODUCE: dict[str, str] = {
    "grain": "粮食",
    "tobacco": "烟叶",
    "livestock": "畜禽",
    "forest_fruit": "林果",
    "other_crops": "其他作物",
}
"""Produce categories of a procurement: the categories ``income.cost_ratio`` is set by (楚雄)."""
PAYMENT_KINDS: dict[str, str] = {
    "procurement": "订单收购",
    "revenue_share_payout": "产品收益分红兑付",
    "land_rent": "土地流转租金",
    "dividend": "入股分红",
}
COLLECTIVE = "collective"
"""The payee of the village collective's part of a revenue-share pool (三七分配)."""


class LinkagePayment(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    payee: str
    """A household number in the seller's county, or ``collective`` for the village collective's part."""
    amount_fen: int
    paid_on: date
    reference: str
    produce: str | None = None
    quantity: str | None = None
    """Procurement: a decimal quantity with its unit, as the receipt says (``500 斤``)."""
    product_id: UUID | None = None
    """Payout: the product whose pool it settles."""
    note: str = ""


class LinkageLedger(Aggregate):
    @staticmethod
    def create_id(seller: str) -> UUID:
        return ids.linkage_ledger_id(seller)

    class Opened(Aggregate.Created):
        seller: str
        county: str

    @event(Opened)
    def __init__(self, seller: str, county: str) -> None:
        self.seller = seller
        self.county = county
        self.references: set[str] = set()
        self.payments: dict[str, tuple[LinkagePayment, str]] = {}
        """Each payment by its reference, with the actor who recorded it."""

    class PaymentRecorded(Aggregate.Event):
        payment: LinkagePayment
        actor: str

    def record_payment(self, payment: LinkagePayment, actor: str) -> None:
        if payment.reference in self.references:
            raise Conflict(f"payment reference {payment.reference!r} is already recorded for this seller")
        self._recorded(payment=payment, actor=actor)

    @event(PaymentRecorded)
    def _recorded(self, payment: LinkagePayment, actor: str) -> None:
        self.references.add(payment.reference)
        self.payments[payment.reference] = (payment, actor)
