"""Orders on the platform (平台订单): a buyer places one for certified products of one seller, pays, receives and
completes it, or cancels it before shipment; the seller ships it and records refunds.

Placing takes the stock of every line in the same transaction as the order (optimistic concurrency on each
product's version: a writer that lost the race decides again against the new stock, so stock never goes below
zero); the products are loaded and written in id order. Every command carries an ``Idempotency-Key``: the same key
with the same body is answered from what the first call did, the same key with another body is a conflict.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError

from xiaofei.application.consumption.common import ConsumptionBase
from xiaofei.application.consumption.group_commit import GroupCommitter, Placing
from xiaofei.application.consumption.products import ProductService
from xiaofei.domain.bounds import MAX_FEN, count_problem
from xiaofei.domain.consumption.buyers import Buyer
from xiaofei.domain.consumption.certification import Certification
from xiaofei.domain.consumption.orders import TAGS, Order, OrderLine
from xiaofei.domain.consumption.products import Product
from xiaofei.domain.errors import Conflict, FieldProblem, InvalidInput, NotFound, invalid

MAX_LINES = 100
MAX_QUANTITY = 10**6
ATTEMPTS = 64
"""A command that lost a race decides again. Each loss means another order took stock of the same product, so a
few dozen rounds are enough for any number of concurrent buyers."""


def request_hash(*parts: Any) -> str:
    """The fingerprint of a command's body, to tell "the same request again" from "another request, same key"."""
    return hashlib.sha256(msgspec.json.encode(parts)).hexdigest()


def check_key(key: str) -> str:
    if not 8 <= len(key) <= 100 or not all("!" <= c <= "~" for c in key):
        raise invalid("Idempotency-Key", "send a unique key of 8 to 100 visible ASCII characters with every command")
    return key


@dataclass(frozen=True)
class Placed:
    order_id: UUID
    total_fen: int
    position: int
    replayed: bool


def _period_end(cert: Certification, day: date) -> date:
    return next(p["to"] for p in cert.periods if p["from"] <= day <= p["to"])


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))  # spread the retries of a crowd of losers


class OrderService(ConsumptionBase):
    def __init__(self, products: ProductService, group_commit: bool = False) -> None:
        super().__init__(products.app, products.policy, products.clock)
        self.products = products
        self.group = GroupCommitter(self) if group_commit else None
        """With group commit, concurrent placings are decided one by one and written in one transaction."""

    def today(self) -> date:
        return self.products.today()  # one business clock for the whole slice

    # -- loading ------------------------------------------------------------------------------------------

    def order(self, org: str, order_id: UUID, side: str) -> Order:
        """The order as its buyer (``side`` buyer) or its seller sees it, or 404 with the same words whether it is
        another's or none at all."""
        missing = f"no order {order_id} of {org}"
        order = self.get(order_id, Order, missing)
        if getattr(order, side) != org:
            raise NotFound(missing)
        return order

    def in_county(self, county: str, order_id: UUID) -> Order:
        missing = f"no order {order_id} in county {county}"
        order = self.get(order_id, Order, missing)
        if order.county != county:
            raise NotFound(missing)
        return order

    # -- placing --------------------------------------------------------------------------------------------

    @staticmethod
    def _certified(i: int, product: Product, cert: Certification | None, seller: Certification | None,
                   today: date) -> Certification:
        """The product's certificate, it and its seller's both covering today, or 409 naming the certificate."""
        field = f"lines[{i}].product_id"
        if cert is None or cert.certificate_number is None:
            raise Conflict(f"{field}: product {product.name} ({product.id}) has no certificate (认定证书): only "
                           "certified products are ordered")
        if not cert.valid_on(today):
            until = f" (valid until {cert.valid_to.isoformat()})" if cert.valid_to else ""
            raise Conflict(f"{field}: the certificate {cert.certificate_number}{until} of product {product.name} is "
                           f"{cert.state_on(today)} on {today.isoformat()}: it cannot be ordered")
        if seller is None or not seller.valid_on(today):
            state = "not certified" if seller is None else seller.state_on(today)
            number = f" {seller.certificate_number}" if seller is not None and seller.certificate_number else ""
            raise Conflict(f"{field}: the certificate{number} of seller {product.seller} is {state} on "
                           f"{today.isoformat()}: its products cannot be ordered")
        return cert

    @staticmethod
    def _checked_lines(lines: list[tuple[UUID, int]]) -> None:
        if not 1 <= len(lines) <= MAX_LINES:
            raise invalid("lines", f"an order has 1 to {MAX_LINES} lines")
        problems = []
        seen: dict[UUID, int] = {}
        for i, (product_id, quantity) in enumerate(lines):
            if product_id in seen:
                problems.append(FieldProblem(f"lines[{i}].product_id",
                                             f"is on line {seen[product_id]} already: one line per product"))
            seen.setdefault(product_id, i)
            if (problem := count_problem(f"lines[{i}].quantity", quantity, minimum=1, maximum=MAX_QUANTITY)):
                problems.append(problem)
        if problems:
            raise InvalidInput(problems)

    def _placing(self, buyer_key: str, key: str, lines: list[tuple[UUID, int]], tag: str | None,
                 actor: str) -> Placing:
        check_key(key)
        self._checked_lines(lines)
        if tag is not None and tag not in TAGS:
            raise invalid("tag", "must be one of " + ", ".join(f"{k} ({v})" for k, v in TAGS.items()))
        return Placing(buyer_key=buyer_key, key=key, lines=lines, tag=tag, actor=actor,
                       fingerprint=request_hash("place", [[str(p), q] for p, q in lines], tag),
                       order_id=Order.create_id(buyer_key, key))

    def place(self, buyer_key: str, key: str, lines: list[tuple[UUID, int]], tag: str | None,
              actor: str) -> Placed:
        placing = self._placing(buyer_key, key, lines, tag, actor)
        return self.group.place(placing) if self.group is not None else self.place_alone(placing)

    async def place_grouped(self, buyer_key: str, key: str, lines: list[tuple[UUID, int]], tag: str | None,
                            actor: str) -> Placed:
        """``place`` for an event loop, with group commit: the request waits for its group without a thread."""
        assert self.group is not None
        return await self.group.place_async(self._placing(buyer_key, key, lines, tag, actor))

    def place_alone(self, p: Placing) -> Placed:
        """Decide this placing on its own and record it; a version conflict decides it again."""
        buyer_id = Buyer.create_id(p.buyer_key)
        for attempt in range(ATTEMPTS):
            # one query for the order (if this key placed it), the buyer, the products and their certificates
            found = self.app.get_many([p.order_id, buyer_id, *p.product_ids,
                                       *(Certification.create_id("product", str(i)) for i in p.product_ids)])
            existing = found.get(p.order_id)
            if isinstance(existing, Order):
                return self.replay(existing, p)
            buyer = found.get(buyer_id)
            if not isinstance(buyer, Buyer):
                raise NotFound(f"no buyer {p.buyer_key}")
            order, products = self.decide(found, buyer, p.key, p.fingerprint, p.lines, p.tag, p.actor)
            try:
                position = self.app.record(order, *products)
            except IntegrityError:
                _backoff(attempt)  # another order took the stock first (or this key was used meanwhile)
                continue
            return self.placed(order, position)
        raise Conflict("the stock kept changing while we tried to take it; try again")

    def replay(self, existing: Order, p: Placing) -> Placed:
        """The first answer again for the same key and body; another body under the key is a conflict."""
        if existing.request_hash != p.fingerprint:
            raise Conflict(f"Idempotency-Key {p.key!r} was already used for another order ({existing.id}); "
                           "use a new key for a new order")
        return Placed(existing.id, existing.total_fen, self.app.head_position(), True)

    @staticmethod
    def placed(order: Order, position: int) -> Placed:
        return Placed(order.id, order.total_fen, position, False)

    def decide(self, found: dict[UUID, Any], buyer: Buyer, key: str, fingerprint: str,
                lines: list[tuple[UUID, int]], tag: str | None, actor: str) -> tuple[Order, list[Product]]:
        today = self.today()
        index = {product_id: i for i, (product_id, _) in enumerate(lines)}
        products: dict[UUID, Product] = {}
        for product_id in sorted(index):
            product = found.get(product_id)
            if not isinstance(product, Product):
                raise invalid(f"lines[{index[product_id]}].product_id", f"no product {product_id}")
            if product.delisted_on is not None:
                raise Conflict(f"lines[{index[product_id]}].product_id: product {product.name} was delisted on "
                               f"{product.delisted_on.isoformat()}")
            products[product_id] = product
        first = products[lines[0][0]].seller
        for i, (product_id, _) in enumerate(lines):
            if products[product_id].seller != first:
                raise invalid(f"lines[{i}].product_id", f"every line of an order comes from one seller: line 0 is "
                                                         f"seller {first}'s, this one {products[product_id].seller}'s")
        seller_id = Certification.create_id("seller", first)
        seller_cert = found[seller_id] if seller_id in found else self.certification("seller", first)
        order_lines = []
        for i, (product_id, quantity) in enumerate(lines):
            product = products[product_id]
            cert = found.get(Certification.create_id("product", str(product_id)))
            cert = self._certified(i, product, cert if isinstance(cert, Certification) else None, seller_cert, today)
            amount = product.price_fen * quantity
            if amount > MAX_FEN:
                raise invalid(f"lines[{i}].quantity", f"the line would come to {amount} fen, more than {MAX_FEN}")
            assert cert.certificate_number is not None
            order_lines.append(OrderLine(line_no=i + 1, product_id=product_id, name=product.name,
                                         category=product.category, quantity=quantity,
                                         unit_price_fen=product.price_fen, amount_fen=amount,
                                         certificate_number=cert.certificate_number,
                                         certified_until=_period_end(cert, today)))
        seller = products[lines[0][0]]
        order = Order(buyer=buyer.key, buyer_type=buyer.buyer_type, buyer_county=buyer.county,
                      counts_for=buyer.counts_for, seller=seller.seller, county=seller.county, lines=order_lines,
                      tag=tag, placed_on=today, idempotency_key=key, request_hash=fingerprint, actor=actor)
        for product_id in sorted(products):
            products[product_id].take(order.id, lines[index[product_id]][1])
        return order, [products[p] for p in sorted(products)]

    # -- the steps after placing ----------------------------------------------------------------------------

    def _step(self, org: str, side: str, order_id: UUID, key: str, command: str, body: Any,
              decide: Callable[[Order, str, list[Product]], None], with_products: bool = False) -> tuple[int, bool]:
        """Load the order (and its products when stock comes back); a command seen before under ``key`` is
        answered from what it did, else it is decided and recorded; a concurrent writer makes it decide again.
        Answers (position, replayed)."""
        check_key(key)
        fingerprint = request_hash(command, body)
        for attempt in range(ATTEMPTS):
            order = self.order(org, order_id, side)
            if order.seen(key, command, fingerprint):
                return self.app.head_position(), True
            products = [self.get(p, Product, f"no product {p}")
                        for p in sorted({line.product_id for line in order.lines.values()})] if with_products else []
            decide(order, fingerprint, products)
            try:
                return self.app.record(order, *products), False
            except IntegrityError:
                _backoff(attempt)
        raise Conflict("the order kept changing while we tried to update it; try again")

    def pay(self, buyer: str, order_id: UUID, key: str, paid_on: date, payment_reference: str,
            actor: str) -> tuple[int, bool]:
        self.stated("paid_on", paid_on)
        today = self.today()
        return self._step(buyer, "buyer", order_id, key, "pay", [paid_on, payment_reference],
                          lambda o, h, _: o.pay(paid_on, today, payment_reference, key, h, actor))

    def ship(self, seller: str, order_id: UUID, key: str, shipped_on: date, tracking: str,
             actor: str) -> tuple[int, bool]:
        self.stated("shipped_on", shipped_on)
        today = self.today()
        return self._step(seller, "seller", order_id, key, "ship", [shipped_on, tracking],
                          lambda o, h, _: o.ship(shipped_on, today, tracking, key, h, actor))

    def receive(self, buyer: str, order_id: UUID, key: str, received_on: date, actor: str) -> tuple[int, bool]:
        self.stated("received_on", received_on)
        today = self.today()
        return self._step(buyer, "buyer", order_id, key, "receive", [received_on],
                          lambda o, h, _: o.receive(received_on, today, key, h, actor))

    def complete(self, buyer: str, order_id: UUID, key: str, completed_on: date, actor: str) -> tuple[int, bool]:
        self.stated("completed_on", completed_on)
        today = self.today()
        return self._step(buyer, "buyer", order_id, key, "complete", [completed_on],
                          lambda o, h, _: o.complete(completed_on, today, key, h, actor))

    def cancel(self, buyer: str, order_id: UUID, key: str, reason: str, actor: str) -> tuple[int, bool]:
        today = self.today()

        def decide(order: Order, fingerprint: str, products: list[Product]) -> None:
            order.cancel(today, reason, key, fingerprint, actor)
            taken = {line.product_id: line.quantity for line in order.lines.values()}
            for product in products:  # the stock comes back, in the same transaction
                product.give_back(order.id, taken[product.id])

        return self._step(buyer, "buyer", order_id, key, "cancel", [reason], decide, with_products=True)

    def refund(self, seller: str, order_id: UUID, key: str, line_no: int, amount_fen: int, reason: str,
               actor: str) -> tuple[int, int, bool]:
        """The seller records a refund it paid the buyer (a line, an amount, the reason), dated today. Answers
        (position, refund number, replayed)."""
        today = self.today()
        position, replayed = self._step(
            seller, "seller", order_id, key, "refund", [line_no, amount_fen, reason],
            lambda o, h, _: o.refund(line_no, amount_fen, reason, today, key, h, actor) and None)
        return position, self.order(seller, order_id, "seller").refund_keys[key], replayed

    # -- reading --------------------------------------------------------------------------------------------

    @staticmethod
    def view(order: Order) -> dict[str, Any]:
        return {
            "order_id": order.id,
            "version": order.version,
            "buyer": order.buyer,
            "buyer_type": order.buyer_type,
            "counts_for": order.counts_for,
            "seller": order.seller,
            "county": order.county,
            "status": order.status,
            "tag": order.tag,
            "dates": dict(order.dates),
            "payment_reference": order.payment_reference,
            "tracking": order.tracking,
            "lines": [{**msgspec.to_builtins(line), "refunded_fen": order.refunded.get(n, 0)}
                      for n, line in sorted(order.lines.items())],
            "total_fen": order.total_fen,
            "refunded_fen": sum(order.refunded.values()),
            "refunds": [dict(r) for r in order.refunds],
        }
