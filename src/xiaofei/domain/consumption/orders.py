"""Orders on the platform: placed → paid → shipped → received → completed; cancelled before shipment (stock comes
back); full or partial refunds after payment, with a reason.

Every command carries an ``Idempotency-Key``. Placing is keyed by the order's id itself (``ids.order_id``: buyer +
key); every later command records its key on the order, so the same command again is answered from what it did the
first time, and the same key on another command is a conflict. A refund is dated the day it is recorded (Asia/
Shanghai): it adjusts that month, never an earlier one. The price and the certificate are captured on each line when
the order is placed.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.consumption.certification import not_before
from xiaofei.domain.notice import not_future
from xiaofei.domain.errors import Conflict, invalid

TAGS: dict[str, str] = {"east_west": "东西部协作", "designated": "定点帮扶"}
STATUSES = ("placed", "paid", "shipped", "received", "completed", "cancelled")


class OrderLine(msgspec.Struct, frozen=True, kw_only=True):
    line_no: int
    product_id: UUID
    name: str
    category: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    certificate_number: str
    certified_until: date


class Order(Aggregate):
    @staticmethod
    def create_id(buyer: str, idempotency_key: str) -> UUID:
        return ids.order_id(buyer, idempotency_key)

    class Placed(Aggregate.Created):
        buyer: str
        buyer_type: str
        buyer_county: str
        counts_for: str | None
        seller: str
        county: str
        """The seller's county: the order's facts belong to it."""
        lines: list[OrderLine]
        tag: str | None
        placed_on: date
        idempotency_key: str
        request_hash: str
        actor: str

    @event(Placed)
    def __init__(self, buyer: str, buyer_type: str, buyer_county: str, counts_for: str | None, seller: str,
                 county: str, lines: list[OrderLine], tag: str | None, placed_on: date, idempotency_key: str,
                 request_hash: str, actor: str) -> None:
        self.buyer = buyer
        self.buyer_type = buyer_type
        self.buyer_county = buyer_county
        self.counts_for = counts_for
        self.seller = seller
        self.county = county
        self.lines = {line.line_no: line for line in lines}
        self.tag = tag
        self.placed_on = placed_on
        self.request_hash = request_hash
        self.status = "placed"
        self.dates: dict[str, date] = {"placed": placed_on}
        self.refunded: dict[int, int] = {}
        self.refunds: list[dict[str, object]] = []
        self.keys: dict[str, tuple[str, str]] = {idempotency_key: ("place", request_hash)}
        self.refund_keys: dict[str, int] = {}
        """The refund number each refund's key made (the same refund again answers it)."""
        self.payment_reference: str | None = None
        self.tracking: str | None = None

    @property
    def total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines.values())

    def seen(self, key: str, command: str, request_hash: str) -> bool:
        """Whether this exact command already ran under ``key`` (answer it again); another command or another
        request under the same key is a conflict."""
        known = self.keys.get(key)
        if known is None:
            return False
        if known != (command, request_hash):
            raise Conflict(f"Idempotency-Key {key!r} was already used for another request on this order "
                           f"({known[0]})")
        return True

    def _step(self, field: str, day: date, today: date, needs: str, after: str) -> None:
        if self.status != needs:
            raise Conflict(f"the order is {self.status}; this needs it {needs}")
        not_future(field, day, today)
        not_before(field, day, self.dates[after], f"it was {after}")

    class Paid(Aggregate.Event):
        paid_on: date
        payment_reference: str
        idempotency_key: str
        request_hash: str
        actor: str

    def pay(self, paid_on: date, today: date, payment_reference: str, key: str, request_hash: str,
            actor: str) -> None:
        self._step("paid_on", paid_on, today, "placed", "placed")
        if not payment_reference.strip():
            raise invalid("payment_reference", "is required")
        self._paid(paid_on=paid_on, payment_reference=payment_reference.strip(), idempotency_key=key,
                   request_hash=request_hash, actor=actor)

    @event(Paid)
    def _paid(self, paid_on: date, payment_reference: str, idempotency_key: str, request_hash: str,
              actor: str) -> None:
        self.status = "paid"
        self.dates["paid"] = paid_on
        self.payment_reference = payment_reference
        self.keys[idempotency_key] = ("pay", request_hash)

    class Shipped(Aggregate.Event):
        shipped_on: date
        tracking: str
        idempotency_key: str
        request_hash: str
        actor: str

    def ship(self, shipped_on: date, today: date, tracking: str, key: str, request_hash: str, actor: str) -> None:
        self._step("shipped_on", shipped_on, today, "paid", "paid")
        self._shipped(shipped_on=shipped_on, tracking=tracking.strip(), idempotency_key=key,
                      request_hash=request_hash, actor=actor)

    @event(Shipped)
    def _shipped(self, shipped_on: date, tracking: str, idempotency_key: str, request_hash: str, actor: str) -> None:
        self.status = "shipped"
        self.dates["shipped"] = shipped_on
        self.tracking = tracking
        self.keys[idempotency_key] = ("ship", request_hash)

    class Received(Aggregate.Event):
        received_on: date
        idempotency_key: str
        request_hash: str
        actor: str

    def receive(self, received_on: date, today: date, key: str, request_hash: str, actor: str) -> None:
        self._step("received_on", received_on, today, "shipped", "shipped")
        self._received(received_on=received_on, idempotency_key=key, request_hash=request_hash, actor=actor)

    @event(Received)
    def _received(self, received_on: date, idempotency_key: str, request_hash: str, actor: str) -> None:
        self.status = "received"
        self.dates["received"] = received_on
        self.keys[idempotency_key] = ("receive", request_hash)

    class Completed(Aggregate.Event):
        completed_on: date
        idempotency_key: str
        request_hash: str
        actor: str

    def complete(self, completed_on: date, today: date, key: str, request_hash: str, actor: str) -> None:
        self._step("completed_on", completed_on, today, "received", "received")
        self._completed(completed_on=completed_on, idempotency_key=key, request_hash=request_hash, actor=actor)

    @event(Completed)
    def _completed(self, completed_on: date, idempotency_key: str, request_hash: str, actor: str) -> None:
        self.status = "completed"
        self.dates["completed"] = completed_on
        self.keys[idempotency_key] = ("complete", request_hash)

    class Cancelled(Aggregate.Event):
        cancelled_on: date
        reason: str
        idempotency_key: str
        request_hash: str
        actor: str

    def cancel(self, today: date, reason: str, key: str, request_hash: str, actor: str) -> None:
        if self.status not in ("placed", "paid"):
            raise Conflict(f"the order is {self.status}: only an order not yet shipped can be cancelled")
        if not reason.strip():
            raise invalid("reason", "is required")
        if self.status == "paid":  # the buyer paid: cancelling gives back what is left of every line, recorded
            for line_no in sorted(self.lines):
                left = self.lines[line_no].amount_fen - self.refunded.get(line_no, 0)
                if left > 0:
                    self.refund(line_no, left, f"订单取消 order cancelled: {reason.strip()}", today, key,
                                request_hash, actor)
        self._cancelled(cancelled_on=today, reason=reason.strip(), idempotency_key=key, request_hash=request_hash,
                        actor=actor)

    @event(Cancelled)
    def _cancelled(self, cancelled_on: date, reason: str, idempotency_key: str, request_hash: str,
                   actor: str) -> None:
        self.status = "cancelled"
        self.dates["cancelled"] = cancelled_on
        self.keys[idempotency_key] = ("cancel", request_hash)

    class Refunded(Aggregate.Event):
        refund_no: int
        line_no: int
        amount_fen: int
        reason: str
        refunded_on: date
        """The business day it was recorded: the month it adjusts."""
        idempotency_key: str
        request_hash: str
        actor: str

    def refund(self, line_no: int, amount_fen: int, reason: str, today: date, key: str, request_hash: str,
               actor: str) -> int:
        paid_then_cancelled = self.status == "cancelled" and "paid" in self.dates
        if self.status not in ("paid", "shipped", "received", "completed") and not paid_then_cancelled:
            raise Conflict(f"the order is {self.status}: refunds follow a payment")
        line = self.lines.get(line_no)
        if line is None:
            raise invalid("line_no", f"the order has lines {', '.join(map(str, sorted(self.lines)))}")
        left = line.amount_fen - self.refunded.get(line_no, 0)
        if amount_fen <= 0:
            raise invalid("amount_fen", "must be positive")
        if amount_fen > left:
            raise invalid("amount_fen", f"line {line_no} has {left} fen left to refund")
        if not reason.strip():
            raise invalid("reason", "is required")
        number = len(self.refunds) + 1
        self._refunded(refund_no=number, line_no=line_no, amount_fen=amount_fen, reason=reason.strip(),
                       refunded_on=today, idempotency_key=key, request_hash=request_hash, actor=actor)
        return number

    @event(Refunded)
    def _refunded(self, refund_no: int, line_no: int, amount_fen: int, reason: str, refunded_on: date,
                  idempotency_key: str, request_hash: str, actor: str) -> None:
        self.refunded[line_no] = self.refunded.get(line_no, 0) + amount_fen
        self.refunds.append({"refund_no": refund_no, "line_no": line_no, "amount_fen": amount_fen,
                             "reason": reason, "refunded_on": refunded_on})
        self.keys[idempotency_key] = ("refund", request_hash)
        self.refund_keys[idempotency_key] = refund_no
