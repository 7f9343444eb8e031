"""What a seller pays the households of its benefit linkage (利益联结), one ledger per seller.

- a **procurement** (订单收购): produce bought from a household, named by a category of the one vocabulary products
  use (``domain.consumption.categories``) → the household's operating income, gross;
- a **payout** of revenue share (产品收益分红兑付) accrued in the consumption projection → settles what is owed;
- a **recovery** (产品收益分红追回) of revenue share paid out beyond what is accrued (the sale was refunded after the
  payout) → money the payee gives back to the seller;
- **land rent** (土地流转租金) and **dividends** (入股分红) → property income.

Every payment carries the seller's payment reference, unique on its ledger: the same payment recorded twice is
refused, not counted twice. Per product and payee, a payout never exceeds what is owed (accrued − paid out +
recovered) and a recovery never exceeds what is to be recovered (the reverse): the seller's ledger knows what it
paid, and the accrued amount is the consumption projection's, read when it has caught up with the log. No advance
is allowed: 《关于深入开展消费扶贫助力打赢脱贫攻坚战的指导意见》(国办发〔2018〕129号) ties the benefit linkage to
sales made, and a payout ahead of the sales would be a payment no pool explains. A refund recorded after a payout
makes what was paid exceed what is accrued: that excess is an open recovery until later accruals or a recovery
settle it (the read side shows it, flagged, to the seller and the county).
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.consumption.categories import category_of
from xiaofei.domain.errors import Conflict, invalid

PAYMENT_KINDS: dict[str, str] = {
    "procurement": "订单收购",
    "revenue_share_payout": "产品收益分红兑付",
    "revenue_share_recovery": "产品收益分红追回",
    "land_rent": "土地流转租金",
    "dividend": "入股分红",
}
SETTLING = ("revenue_share_payout", "revenue_share_recovery")
"""The kinds that settle a product's revenue share with a payee (both name the product)."""
COLLECTIVE = "collective"
"""The payee of the village collective's part of a revenue-share pool (三七分配)."""


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


class LinkagePayment(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    payee: str
    """A household number, or ``collective`` for the village collective's part."""
    amount_fen: int
    paid_on: date
    reference: str
    produce: str | None = None
    quantity: str | None = None
    """Procurement: a decimal quantity with its unit, as the receipt says (``500 斤``)."""
    product_id: UUID | None = None
    """Payout and recovery: the product whose pool it settles."""
    note: str = ""
    payee_county: str | None = None
    """The payee household's county when it is not the one the kind implies (the seller's, or for a payout the
    product's origin county): a household another county registered that one of the seller's plans names. Payments
    recorded before this field implied the county."""


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
        class_version: ClassVar[int] = 2
        payment: LinkagePayment
        actor: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """v1 procurements named their produce by cost class (``grain``…): read it as the category of the
            one vocabulary with that cost class (``grain_oil``…), so the same cost is deducted."""
            payment = state["payment"]
            payment["produce"] = category_of(payment.get("produce"))

    def paid_out(self, product_id: UUID, payee: str) -> int:
        """What the seller paid ``payee`` of the product's revenue share, net of what it recovered."""
        total = 0
        for p, _ in self.payments.values():
            if p.product_id == product_id and p.payee == payee and p.kind in SETTLING:
                total += p.amount_fen if p.kind == "revenue_share_payout" else -p.amount_fen
        return total

    def record_payment(self, payment: LinkagePayment, actor: str, accrued_fen: int | None = None) -> None:
        """Record a payment; a payout or a recovery needs ``accrued_fen``, the payee's accrued share of the product
        (the consumption projection's), to be judged against what the ledger already paid."""
        if payment.reference in self.references:
            raise Conflict(f"payment reference {payment.reference!r} is already recorded for this seller")
        if payment.kind in SETTLING and payment.product_id is not None:  # the service requires the product
            if accrued_fen is None:
                raise ValueError("a payout or recovery is judged against the payee's accrued share of its product")
            paid = self.paid_out(payment.product_id, payment.payee)
            owed = accrued_fen - paid
            facts = (f"accrued {_yuan(accrued_fen)}元, paid {_yuan(paid)}元 net of recoveries, of product "
                     f"{payment.product_id}'s revenue share")
            if payment.kind == "revenue_share_payout" and payment.amount_fen > owed:
                raise invalid("amount_fen", f"more than is owed: {payment.payee} is owed {_yuan(max(owed, 0))}元 "
                                            f"({max(owed, 0)} fen; {facts}); a payout settles accrued revenue share "
                                            f"only, no advance")
            if payment.kind == "revenue_share_recovery" and payment.amount_fen > -owed:
                raise invalid("amount_fen", f"more than is to be recovered: {max(-owed, 0)} fen "
                                            f"({_yuan(max(-owed, 0))}元; {facts})")
        self._recorded(payment=payment, actor=actor)

    @event(PaymentRecorded)
    def _recorded(self, payment: LinkagePayment, actor: str) -> None:
        self.references.add(payment.reference)
        self.payments[payment.reference] = (payment, actor)
