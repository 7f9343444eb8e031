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


def test_a_group_that_loses_to_a_writer_outside_it_places_each_order_alone(services: Services,
                                                                          county_code: str) -> None:
    """Stock adjustments racing the group: the group's transaction fails on the product's version, every placing
    of it is placed again on its own, and no unit is lost or counted twice."""
    orders = OrderService(services.products, group_commit=True)
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, stock=100)
    buyers = [given_buyer(services, county_code) for _ in range(20)]
    placed: list[object] = []
    start = threading.Barrier(len(buyers) + 1)

    def buy(buyer: str) -> None:
        start.wait()
        for _ in range(3):
            placed.append(orders.place(buyer, f"key-{uuid.uuid4().hex}", [(tea.product_id, 1)], None, "test"))

    def adjust() -> None:
        start.wait()
        for _ in range(10):
            services.products.adjust_stock(seller.credit_code, tea.product_id, 1, "补货", "test")

    threads = [threading.Thread(target=buy, args=(b,)) for b in buyers] + [threading.Thread(target=adjust)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    product = services.app.repository.get(tea.product_id)
    assert isinstance(product, Product)
    assert len(placed) == 60 and product.stock == 100 - 60 + 10
    taken = [e for e in services.app.events.get(tea.product_id) if isinstance(e, Product.StockTaken)]
    assert sorted(e.order_id for e in taken) == sorted(o.order_id for o in placed)  # type: ignore[attr-defined]


def test_a_placing_given_back_by_a_failed_group_is_placed_alone(services: Services, county_code: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from eventsourcing.persistence import IntegrityError

    orders = OrderService(services.products, group_commit=True)
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, stock=5)
    buyer = given_buyer(services, county_code)
    record = services.app.record
    calls: list[int] = []

    def failing_once(*aggregates: object) -> int:
        calls.append(len(aggregates))
        if len(calls) == 1:
            raise IntegrityError("a writer outside the group got there first")
        return record(*aggregates)  # type: ignore[arg-type]

    monkeypatch.setattr(services.app, "record", failing_once)
    placed = orders.place(buyer, "given-back-key", [(tea.product_id, 2)], None, "test")
    assert len(calls) == 2 and not placed.replayed  # the group's transaction, then the placing alone
    product = services.app.repository.get(tea.product_id)
    assert isinstance(product, Product) and product.stock == 3
