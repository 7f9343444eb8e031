"""Placing orders from many threads at once, one transaction each or in groups: the last units of a product are
sold exactly once, a refusal names the stock, and every accepted order holds its stock."""

from __future__ import annotations

import threading
import uuid

import pytest

from tests.consumption_given import given_buyer, given_certified_product, given_certified_seller
from xiaofei.application.consumption.orders import OrderService
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.orders import Order
from xiaofei.domain.consumption.products import Product
from xiaofei.domain.errors import Conflict


@pytest.mark.parametrize("group_commit", [False, True])
def test_thirty_threads_buying_the_last_ten_units(services: Services, county_code: str, group_commit: bool) -> None:
    orders = OrderService(services.products, group_commit=group_commit)
    seller = given_certified_seller(services, county_code)
    scarce = given_certified_product(services, seller, stock=10)
    plenty = given_certified_product(services, seller, stock=1000)
    buyers = [given_buyer(services, county_code) for _ in range(30)]
    outcomes: list[object] = []
    start = threading.Barrier(len(buyers))

    def buy(buyer: str) -> None:
        start.wait()
        try:
            outcomes.append(orders.place(buyer, f"key-{uuid.uuid4().hex}", [(plenty.product_id, 2),
                                                                            (scarce.product_id, 1)], None, "test"))
        except Conflict as e:
            outcomes.append(e)

    threads = [threading.Thread(target=buy, args=(b,)) for b in buyers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    placed = [o for o in outcomes if not isinstance(o, Conflict)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(placed) == 10 and len(refused) == 20
    assert all("in stock" in str(e) for e in refused), refused
    product = services.app.repository.get(scarce.product_id)
    other = services.app.repository.get(plenty.product_id)
    assert isinstance(product, Product) and isinstance(other, Product)
    assert (product.stock, other.stock) == (0, 1000 - 20)  # a refused order took nothing of the other line
    for o in placed:
        order = services.app.repository.get(o.order_id)  # type: ignore[attr-defined]
        assert isinstance(order, Order) and order.status == "placed"
    if orders.group is not None:
        assert orders.group.placed >= 1 and orders.group.groups <= orders.group.placed
    again = orders.place(buyers[0], "same-key-twice", [(plenty.product_id, 1)], None, "test")
    assert orders.place(buyers[0], "same-key-twice", [(plenty.product_id, 1)], None, "test").order_id == again.order_id
