"""What a seller pays the households of its benefit linkage (利益联结), on its ledger: procurement from a household
(订单收购: produce, quantity, amount, date), revenue-share payouts (产品收益分红兑付: per product, to a household or the
village collective) and recoveries of what was paid beyond the accrued share (产品收益分红追回), land rent
(土地流转租金) and dividends (入股分红).

A household payee is registered in the county its payment implies: the product's origin county for a payout or a
recovery, else the seller's county — or another county whose household one of the seller's products' plans names
(``payee_county``; found by itself when the number is not the seller's county's and one plan names it). That is
checked against the registry's own aggregate, not a read model. A payout or a recovery is judged against the payee's
accrued share of the product, read from the consumption projection once it has caught up with every event so far
(``domain.consumption.linkage``). A payment reference is unique on the seller's ledger: the same one again is 409."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from xiaofei.application.app import XiaofeiApplication
from xiaofei.application.consumption.common import ConsumptionBase
from xiaofei.application.policy import PolicyService
from xiaofei.domain.bounds import check_fen
from xiaofei.domain.clock import Clock, utc_now
from xiaofei.domain.consumption.categories import CATEGORIES, FORMER_PRODUCE, described
from xiaofei.domain.consumption.linkage import (COLLECTIVE, PAYMENT_KINDS, SETTLING, LinkageLedger,
                                                LinkagePayment)
from xiaofei.domain.consumption.products import Product
from xiaofei.domain.errors import Conflict, NotFound, invalid
from xiaofei.domain.registry import Household
from xiaofei.projectors.base import ConnectionParams


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
    payee_county: str | None = None


def _only(kind: str, field: str, value: object, needed: bool) -> None:
    if needed and value is None:
        raise invalid(field, f"a {kind} payment names its {field}")
    if not needed and value is not None:
        who = "a procurement" if field != "product_id" else "a revenue_share_payout or revenue_share_recovery"
        raise invalid(field, f"only {who} names a {field}")


class LinkageService(ConsumptionBase):
    def __init__(self, app: XiaofeiApplication, policy: PolicyService, params: ConnectionParams,
                 read_wait_seconds: float = 10.0, clock: Clock = utc_now) -> None:
        super().__init__(app, policy, clock)
        self.params = params
        self.read_wait_seconds = read_wait_seconds

    def record(self, seller: str, p: PaymentInput, actor: str) -> int:
        org = self.seller_organisation(seller)
        if p.kind not in PAYMENT_KINDS:
            raise invalid("kind", "must be one of " + ", ".join(f"{k} ({v})" for k, v in PAYMENT_KINDS.items()))
        self.stated("paid_on", p.paid_on)
        check_fen("amount_fen", p.amount_fen, minimum=1)
        if not p.reference.strip():
            raise invalid("reference", "is required")
        procurement, settling = p.kind == "procurement", p.kind in SETTLING
        _only(p.kind, "produce", p.produce, procurement)
        _only(p.kind, "quantity", p.quantity, procurement)
        _only(p.kind, "product_id", p.product_id, settling)
        if p.produce is not None and p.produce not in CATEGORIES:
            former = FORMER_PRODUCE.get(p.produce)
            raise invalid("produce", (f"{p.produce!r} is the former name of {former} ({CATEGORIES[former].label}); "
                                      if former else "") + "must be a category, as products use: " + described())
        if p.quantity is not None and not p.quantity.strip():
            raise invalid("quantity", "say how much, with the unit (500 斤)")
        product: Product | None = None
        if p.product_id is not None:
            product = self.maybe(p.product_id, Product)
            if product is None or product.seller != seller:
                raise invalid("product_id", f"no product {p.product_id} of seller {seller}")
        payee_county = self._payee_county(seller, org.county, p, product)
        payment = LinkagePayment(kind=p.kind, payee=p.payee, amount_fen=p.amount_fen, paid_on=p.paid_on,
                                 reference=p.reference.strip(), produce=p.produce,
                                 quantity=p.quantity.strip() if p.quantity else None, product_id=p.product_id,
                                 note=p.note.strip(), payee_county=payee_county)
        accrued = self._accrued(product, p.payee) if product is not None else None

        def attempt() -> int:
            ledger = self.maybe(LinkageLedger.create_id(seller), LinkageLedger) or LinkageLedger(
                seller=seller, county=org.county)
            ledger.record_payment(payment, actor, accrued_fen=accrued)
            return self.app.record(ledger)

        return self.retrying(attempt)

    def owed(self, seller: str, product_id: UUID, payee: str) -> int:
        """What the seller owes ``payee`` of the product's revenue share now: accrued − paid (negative while a
        recovery is open)."""
        product = self.maybe(product_id, Product)
        if product is None or product.seller != seller:
            raise NotFound(f"no product {product_id} of seller {seller}")
        ledger = self.maybe(LinkageLedger.create_id(seller), LinkageLedger)
        return self._accrued(product, payee) - (ledger.paid_out(product_id, payee) if ledger is not None else 0)

    def _payee_county(self, seller: str, seller_county: str, p: PaymentInput, product: Product | None) -> str | None:
        """The payee household's county (None for the collective), once the household is found registered there."""
        if p.payee == COLLECTIVE:
            if product is None:
                raise invalid("payee", "only a revenue_share_payout or revenue_share_recovery goes to the village "
                                       "collective; name the household (户编号)")
            if p.payee_county is not None:
                raise invalid("payee_county", "the village collective's part names no county")
            return None
        if product is not None:  # a plan names households of the product's origin county
            if p.payee_county not in (None, product.origin_county):
                raise invalid("payee_county", f"a {p.kind} goes to a household of the product's origin county "
                                              f"{product.origin_county}")
            self._registered(product.origin_county, p.payee, "the product's origin")
            return product.origin_county
        county = p.payee_county
        if county is None:
            if self._is_registered(seller_county, p.payee):
                return seller_county
            named = self._plan_counties(seller, p.payee)
            if len(named) > 1:
                raise invalid("payee_county", f"household {p.payee} is named by plans of products of counties "
                                              f"{', '.join(named)}: say which (payee_county)")
            county = named[0] if named else seller_county
        if county != seller_county and county not in self._plan_counties(seller, p.payee):
            raise invalid("payee_county", f"household {p.payee} of county {county} is in no benefit-linkage plan of "
                                          f"seller {seller}'s products: a seller pays households of its own county "
                                          f"and those its plans name")
        self._registered(county, p.payee, "the seller's" if county == seller_county else "named by a plan")
        return county

    def _is_registered(self, county: str, number: str) -> bool:
        return self.maybe(Household.create_id(county, number), Household) is not None

    def _registered(self, county: str, number: str, whose: str) -> None:
        if not self._is_registered(county, number):
            raise invalid("payee", f"household {number} is not registered in county {county} ({whose})")

    def _plan_counties(self, seller: str, number: str) -> list[str]:
        """The origin counties of the seller's products whose plans (any version) name household ``number``."""
        with self.params.connect() as conn:
            self.app.wait_projected(conn, "consumption", self.read_wait_seconds, "the benefit-linkage plans are")
            rows = conn.execute(
                "SELECT DISTINCT p.origin_county FROM rm_consumption.products p JOIN rm_consumption.product_plans pl"
                " USING (product_id), jsonb_array_elements(pl.households) h WHERE p.seller = %s"
                " AND h->>'household_number' = %s ORDER BY 1", (seller, number)).fetchall()
        return [str(r[0]) for r in rows]

    def _accrued(self, product: Product, payee: str) -> int:
        """The payee's accrued share of the product's pools, once the consumption projection has caught up with
        every event so far (and its county is not halted)."""
        with self.params.connect() as conn:
            self.app.wait_projected(conn, "consumption", self.read_wait_seconds, "the revenue share accrued is")
            halted = conn.execute("SELECT position, error FROM rm_consumption.halted_partitions WHERE county = %s",
                                  (product.county,)).fetchone()
            if halted is not None:
                raise Conflict(f"the consumption figures of county {product.county} are halted at event {halted[0]}"
                               f" ({halted[1]}): what is owed cannot be known until they are repaired")
            row = conn.execute("SELECT coalesce(sum(amount_fen), 0) FROM rm_consumption.pool_shares"
                               " WHERE product_id = %s AND payee = %s", (product.id, payee)).fetchone()
        return int(row[0]) if row else 0

    def payment(self, seller: str, reference: str) -> dict[str, Any]:
        missing = f"no linkage payment {reference} of seller {seller}"
        ledger = self.get(LinkageLedger.create_id(seller), LinkageLedger, missing)
        found = getattr(ledger, "payments", {}).get(reference)
        if found is None:
            raise NotFound(missing)
        payment, actor = found
        payee_county = payment.payee_county  # recorded before the field: the county the kind implied
        if payee_county is None and payment.payee != COLLECTIVE:
            product = self.maybe(payment.product_id, Product) if payment.product_id is not None else None
            payee_county = product.origin_county if product is not None else ledger.county
        return {"seller": ledger.seller, "county": ledger.county, "kind": payment.kind, "payee": payment.payee,
                "payee_county": payee_county, "amount_fen": payment.amount_fen, "paid_on": payment.paid_on,
                "reference": payment.reference, "produce": payment.produce, "quantity": payment.quantity,
                "product_id": payment.product_id, "note": payment.note, "actor": actor}
