"""Orders: a buyer places one (stock taken in the same transaction), pays, receives and completes it or cancels it
before shipment; the seller ships it and records refunds. Every command carries an ``Idempotency-Key`` header: the
same key and body again is answered from what the first call did (``replayed``), the same key with another body is
409. Reads come from the order itself (always current). Channel-sales uploads and linkage payments are mixed in
from ``channel_routes``."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

import msgspec
from litestar import get, post
from litestar.params import FromPath, JSONBody

from xiaofei.http.auth import roles
from xiaofei.http.consumption.channel_routes import CountyChannelRoutes, OrganisationChannelRoutes
from xiaofei.http.consumption.order_schemas import (
    CommandKey,
    OrderCancellation,
    OrderCompletion,
    OrderCreate,
    OrderPayment,
    OrderPlaced,
    OrderReceipt,
    OrderRefund,
    OrderRefunded,
    OrderShipment,
    OrderStepAccepted,
    OrderView,
)
from xiaofei.http.routes import READERS, AnyRequest, MinPosition, _command, _services

T = TypeVar("T")
BUYER = ("buyer",)
SELLER = ("seller",)
KEYED = (" Send an `Idempotency-Key` header: the same key and body again answer what the first call did "
         "(`replayed` true, nothing written); the same key with another body is 409.")
OUT_OF_ORDER = " Out of order (the order is not in the state this step needs) is 409 naming the state."
READ = ("Read from the order itself (always current): lines with the price and certificate captured when it was "
        "placed, the date of every step, refunds. ")


def _as(kind: type[T], value: Any) -> T:
    return msgspec.convert(value, kind, from_attributes=True)


class CountyOrderRoutes(CountyChannelRoutes):
    """Mixed into the county's consumption controller."""

    @get("/orders/{order_id:uuid}", operation_id="getCountyOrder", opt=roles(*READERS),
         summary="One order of a seller of the county",
         description=READ + "404 for an order of another county's seller.")
    async def get_county_order(self, request: AnyRequest, county: FromPath[str], order_id: FromPath[UUID],
                               min_position: MinPosition = None) -> OrderView:
        orders = _services(request).orders
        return _as(OrderView, await _command(lambda: orders.view(orders.in_county(county, order_id))))


class OrganisationOrderRoutes(OrganisationChannelRoutes):
    """Mixed into the organisation's consumption controller."""

    @post("/orders", operation_id="placeOrder", opt=roles(*BUYER),
          summary="Place an order for certified products of one seller (the stock is taken at once)",
          description="`org` is the buyer's key. Every product must be listed, certified with its certificate valid "
                      "today (Asia/Shanghai), and its seller's certificate too (409 naming the certificate "
                      "otherwise); all lines of one seller (422). Each line captures the product's price and "
                      "certificate. The stock of every line is taken in the same transaction as the order: more "
                      "than the stock is 409 naming the stock, and concurrent orders never take it below zero."
                      + KEYED)
    async def place_order(self, request: AnyRequest, org: FromPath[str], idempotency_key: CommandKey,
                          data: JSONBody[OrderCreate]) -> OrderPlaced:
        orders = _services(request).orders
        lines = [(line.product_id, line.quantity) for line in data.lines]
        if orders.group is not None:  # waits for its group's transaction without holding a thread
            placed = await orders.place_grouped(org, idempotency_key, lines, data.tag, request.user.actor)
        else:
            placed = await _command(lambda: orders.place(org, idempotency_key, lines, data.tag, request.user.actor))
        return OrderPlaced(order_id=placed.order_id, total_fen=placed.total_fen, replayed=placed.replayed,
                           position=placed.position)

    @get("/orders/{order_id:uuid}", operation_id="getOrder", opt=roles(*BUYER, *SELLER),
         summary="One order, as its buyer or its seller sees it",
         description=READ + "A buyer reads its own orders, a seller the orders placed with it: 404 for any other.")
    async def get_order(self, request: AnyRequest, org: FromPath[str], order_id: FromPath[UUID],
                        min_position: MinPosition = None) -> OrderView:
        orders = _services(request).orders
        side = "seller" if request.user.role == "seller" else "buyer"
        return _as(OrderView, await _command(lambda: orders.view(orders.order(org, order_id, side))))

    @post("/orders/{order_id:uuid}/payment", operation_id="payOrder", opt=roles(*BUYER),
          summary="The buyer paid the order (date and payment reference)",
          description="Only a placed order; not before it was placed, not in the future." + OUT_OF_ORDER + KEYED)
    async def pay_order(self, request: AnyRequest, org: FromPath[str], order_id: FromPath[UUID],
                        idempotency_key: CommandKey, data: JSONBody[OrderPayment]) -> OrderStepAccepted:
        orders = _services(request).orders
        position, replayed = await _command(lambda: orders.pay(org, order_id, idempotency_key, data.paid_on,
                                                               data.payment_reference, request.user.actor))
        return OrderStepAccepted(replayed=replayed, position=position)

    @post("/orders/{order_id:uuid}/shipment", operation_id="shipOrder", opt=roles(*SELLER),
          summary="The seller shipped the order (date and tracking number)",
          description="`org` is the seller. Only a paid order." + OUT_OF_ORDER + KEYED)
    async def ship_order(self, request: AnyRequest, org: FromPath[str], order_id: FromPath[UUID],
                         idempotency_key: CommandKey, data: JSONBody[OrderShipment]) -> OrderStepAccepted:
        orders = _services(request).orders
        position, replayed = await _command(lambda: orders.ship(org, order_id, idempotency_key, data.shipped_on,
                                                                data.tracking, request.user.actor))
        return OrderStepAccepted(replayed=replayed, position=position)

    @post("/orders/{order_id:uuid}/receipt", operation_id="receiveOrder", opt=roles(*BUYER),
          summary="The buyer received the order: from this date its lines are recognised sales",
          description="Only a shipped order. The receipt date (Asia/Shanghai) dates the recognised sale."
                      + OUT_OF_ORDER + KEYED)
    async def receive_order(self, request: AnyRequest, org: FromPath[str], order_id: FromPath[UUID],
                            idempotency_key: CommandKey, data: JSONBody[OrderReceipt]) -> OrderStepAccepted:
        orders = _services(request).orders
        position, replayed = await _command(lambda: orders.receive(org, order_id, idempotency_key, data.received_on,
                                                                   request.user.actor))
        return OrderStepAccepted(replayed=replayed, position=position)

    @post("/orders/{order_id:uuid}/completion", operation_id="completeOrder", opt=roles(*BUYER),
          summary="The buyer completes a received order",
          description="Only a received order." + OUT_OF_ORDER + KEYED)
    async def complete_order(self, request: AnyRequest, org: FromPath[str], order_id: FromPath[UUID],
                             idempotency_key: CommandKey, data: JSONBody[OrderCompletion]) -> OrderStepAccepted:
        orders = _services(request).orders
        position, replayed = await _command(lambda: orders.complete(org, order_id, idempotency_key,
                                                                    data.completed_on, request.user.actor))
        return OrderStepAccepted(replayed=replayed, position=position)

    @post("/orders/{order_id:uuid}/cancellation", operation_id="cancelOrder", opt=roles(*BUYER),
          summary="The buyer cancels an order not yet shipped: its stock comes back",
          description="Only a placed or paid order (409 naming the state otherwise); dated today. The stock of "
                      "every line is given back in the same transaction." + KEYED)
    async def cancel_order(self, request: AnyRequest, org: FromPath[str], order_id: FromPath[UUID],
                           idempotency_key: CommandKey, data: JSONBody[OrderCancellation]) -> OrderStepAccepted:
        orders = _services(request).orders
        position, replayed = await _command(lambda: orders.cancel(org, order_id, idempotency_key, data.reason,
                                                                  request.user.actor))
        return OrderStepAccepted(replayed=replayed, position=position)

    @post("/orders/{order_id:uuid}/refunds", operation_id="refundOrder", opt=roles(*SELLER),
          summary="The seller records a refund of part or all of a line, with the reason",
          description="`org` is the seller: it pays the money back, so it records the refund (a buyer asks the "
                      "seller). Only after payment (409 naming the state); at most what is left of the line (422 "
                      "naming amount_fen). Dated today (Asia/Shanghai): it adjusts that month's recognised sales, "
                      "never an earlier month." + KEYED)
    async def refund_order(self, request: AnyRequest, org: FromPath[str], order_id: FromPath[UUID],
                           idempotency_key: CommandKey, data: JSONBody[OrderRefund]) -> OrderRefunded:
        orders = _services(request).orders
        position, number, replayed = await _command(lambda: orders.refund(
            org, order_id, idempotency_key, data.line_no, data.amount_fen, data.reason, request.user.actor))
        return OrderRefunded(refund_no=number, replayed=replayed, position=position)
