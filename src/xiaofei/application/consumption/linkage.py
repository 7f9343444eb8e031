"""What a seller pays the households of its benefit linkage (利益联结), on its ledger: procurement from a household
(订单收购: produce, quantity, amount, date), revenue-share payouts (产品收益分红兑付: per product, to a household or the
village collective), land rent (土地流转租金) and dividends (入股分红). A household payee must be registered in the
seller's county — checked against the registry's own aggregate, not a read model. A payment reference is unique on
the seller's ledger: the same one again is 409."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from xiaofei.application.consumption.common import ConsumptionBase
from xiaofei.domain.bounds import check_fen
from xiaofei.domain.consumption.linkage import COLLECTIVE, PAYMENT_KINDS, PRODUCE, LinkageLedger, LinkagePayment
from xiaofei.domain.consumption.products import Product
from xiaofei.domain.errors import NotFound, invalid
from xiaofei.domain.registry import Household


@dataclass(frozen=True)
class PaymentInput:
    kind: str
    payee: str
    amount_fen: int
    paid_on: date
    reference: str
    produce: str | None = None
    quantity: str | None = None
    product_id: UUID | None = None
    note: str = ""


def _only(kind: str, field: str, value: object, needed: bool) -> None:
    if needed and value is None:
        raise invalid(field, f"a {kind} payment names its {field}")
    if not needed and value is not None:
        raise invalid(field, f"only {'a procurement' if field != 'product_id' else 'a revenue_share_payout'} "
                             f"names a {field}")


class LinkageService(ConsumptionBase):
    def record(self, seller: str, p: PaymentInput, actor: str) -> int:
        org = self.seller_organisation(seller)
        if p.kind not in PAYMENT_KINDS:
            raise invalid("kind", "must be one of " + ", ".join(f"{k} ({v})" for k, v in PAYMENT_KINDS.items()))
        self.stated("paid_on", p.paid_on)
        check_fen("amount_fen", p.amount_fen, minimum=1)
        if not p.reference.strip():
            raise invalid("reference", "is required")
        procurement, payout = p.kind == "procurement", p.kind == "revenue_share_payout"
        _only(p.kind, "produce", p.produce, procurement)
        _only(p.kind, "quantity", p.quantity, procurement)
        _only(p.kind, "product_id", p.product_id, payout)
        if p.produce is not None and p.produce not in PRODUCE:
            raise invalid("produce", "must be one of " + ", ".join(f"{k} ({v})" for k, v in PRODUCE.items()))
        if p.quantity is not None and not p.quantity.strip():
            raise invalid("quantity", "say how much, with the unit (500 斤)")
        households_of = org.county
        if p.product_id is not None:
            product = self.maybe(p.product_id, Product)
            if product is None or product.seller != seller:
                raise invalid("product_id", f"no product {p.product_id} of seller {seller}")
            households_of = product.origin_county  # a plan names households of the product's origin county
        if p.payee == COLLECTIVE:
            if not payout:
                raise invalid("payee", "only a revenue_share_payout goes to the village collective; name the "
                                       "household (户编号)")
        elif self.maybe(Household.create_id(households_of, p.payee), Household) is None:
            whose = "the seller's" if households_of == org.county else "the product's origin"
            raise invalid("payee", f"household {p.payee} is not registered in county {households_of} ({whose})")
        payment = LinkagePayment(kind=p.kind, payee=p.payee, amount_fen=p.amount_fen, paid_on=p.paid_on,
                                 reference=p.reference.strip(), produce=p.produce,
                                 quantity=p.quantity.strip() if p.quantity else None, product_id=p.product_id,
                                 note=p.note.strip())

        def attempt() -> int:
            ledger = self.maybe(LinkageLedger.create_id(seller), LinkageLedger) or LinkageLedger(
                seller=seller, county=org.county)
            ledger.record_payment(payment, actor)
            return self.app.record(ledger)

        return self.retrying(attempt)

    def payment(self, seller: str, reference: str) -> dict[str, Any]:
        missing = f"no linkage payment {reference} of seller {seller}"
        ledger = self.get(LinkageLedger.create_id(seller), LinkageLedger, missing)
        found = getattr(ledger, "payments", {}).get(reference)
        if found is None:
            raise NotFound(missing)
        payment, actor = found
        return {"seller": ledger.seller, "county": ledger.county, "kind": payment.kind, "payee": payment.payee,
                "amount_fen": payment.amount_fen, "paid_on": payment.paid_on, "reference": payment.reference,
                "produce": payment.produce, "quantity": payment.quantity, "product_id": payment.product_id,
                "note": payment.note, "actor": actor}
