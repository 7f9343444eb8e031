"""Orders through HTTP: a buyer places an order for certified products of one seller (the stock taken at once),
pays, receives and completes it, or cancels it before shipment (the stock comes back); the seller ships it and
records refunds. Every command carries an Idempotency-Key; concurrent buyers never take the stock below zero."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import GivenProduct, given_buyer, given_certified_product, given_certified_seller
from tests.e2e.test_consumption_certification_api import day
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.products import Product


def token(services: Services, role: str, org: str) -> dict[str, str]:
    return bearer(services.access.issue(role, [], org, role, "test").secret)


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"k-{uuid.uuid4().hex}"}


async def place(http: httpx.AsyncClient, buyer: str, headers: dict[str, str], lines: list[tuple[Any, int]],
                expect: int = 201, idem: dict[str, str] | None = None, **extra: Any) -> httpx.Response:
    r = await http.post(f"/organisations/{buyer}/orders", headers={**headers, **(idem or key())},
                        json={"lines": [{"product_id": str(p), "quantity": q} for p, q in lines], **extra})
    assert r.status_code == expect, r.text
    return r


async def step(http: httpx.AsyncClient, org: str, headers: dict[str, str], order_id: str, name: str,
               expect: int = 201, idem: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    r = await http.post(f"/organisations/{org}/orders/{order_id}/{name}", headers={**headers, **(idem or key())},
                        json=body)
    assert r.status_code == expect, r.text
    return r


def stock(services: Services, product: GivenProduct) -> int:
    found = services.app.repository.get(product.product_id)
    assert isinstance(found, Product)
    return found.stock


async def test_an_order_goes_from_placed_to_completed_each_step_once_whatever_the_retries(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, price_fen=3500, stock=20)
    buyer = given_buyer(services, county_code)
    as_buyer, as_seller = token(services, "buyer", buyer), token(services, "seller", seller.credit_code)

    idem = key()
    r = await place(http, buyer, as_buyer, [(tea.product_id, 3)], idem=idem, tag="designated")
    placed = r.json()
    assert (placed["total_fen"], placed["replayed"]) == (10500, False)
    again = (await place(http, buyer, as_buyer, [(tea.product_id, 3)], idem=idem, tag="designated")).json()
    assert (again["order_id"], again["replayed"]) == (placed["order_id"], True)
    r = await place(http, buyer, as_buyer, [(tea.product_id, 4)], 409, idem=idem, tag="designated")
    assert "Idempotency-Key" in r.json()["detail"]
    assert stock(services, tea) == 17  # taken once

    oid = placed["order_id"]
    r = await step(http, seller.credit_code, as_seller, oid, "shipment", 409, shipped_on=day(0))
    assert "the order is placed" in r.json()["detail"]
    r = await step(http, buyer, as_buyer, oid, "payment", 422, paid_on=day(1), payment_reference="ZF-1")
    assert r.json()["errors"][0]["field"] == "paid_on"
    pay = key()
    assert not (await step(http, buyer, as_buyer, oid, "payment", idem=pay, paid_on=day(0),
                           payment_reference="ZF-1")).json()["replayed"]
    assert (await step(http, buyer, as_buyer, oid, "payment", idem=pay, paid_on=day(0),
                       payment_reference="ZF-1")).json()["replayed"]
    r = await step(http, buyer, as_buyer, oid, "receipt", 409, idem=pay, received_on=day(0))
    assert "Idempotency-Key" in r.json()["detail"]  # a key is one command
    await step(http, seller.credit_code, as_seller, oid, "shipment", shipped_on=day(0), tracking="SF100")
    r = await step(http, buyer, as_buyer, oid, "cancellation", 409, reason="不要了")
    assert "shipped" in r.json()["detail"]
    await step(http, buyer, as_buyer, oid, "receipt", received_on=day(0))
    await step(http, buyer, as_buyer, oid, "completion", completed_on=day(0))

    refund = key()
    r = await step(http, seller.credit_code, as_seller, oid, "refunds", 422, line_no=1, amount_fen=10501,
                   reason="破损")
    assert r.json()["errors"][0]["field"] == "amount_fen"
    r = await step(http, seller.credit_code, as_seller, oid, "refunds", idem=refund, line_no=1, amount_fen=1000,
                   reason="一罐破损")
    assert (r.json()["refund_no"], r.json()["replayed"]) == (1, False)
    r = await step(http, seller.credit_code, as_seller, oid, "refunds", idem=refund, line_no=1, amount_fen=1000,
                   reason="一罐破损")
    assert (r.json()["refund_no"], r.json()["replayed"]) == (1, True)

    view = (await http.get(f"/organisations/{buyer}/orders/{oid}", headers=as_buyer)).json()
    assert view["status"] == "completed" and view["tag"] == "designated"
    assert view["dates"] == {"placed": day(0), "paid": day(0), "shipped": day(0), "received": day(0),
                             "completed": day(0), "cancelled": None}
    line = view["lines"][0]
    assert (line["unit_price_fen"], line["amount_fen"], line["certificate_number"], line["refunded_fen"]) == (
        3500, 10500, tea.certificate_number, 1000)
    assert view["refunds"] == [{"refund_no": 1, "line_no": 1, "amount_fen": 1000, "reason": "一罐破损",
                                "refunded_on": day(0)}]
    assert (view["payment_reference"], view["tracking"]) == ("ZF-1", "SF100")
    r = await http.get(f"/organisations/{seller.credit_code}/orders/{oid}", headers=as_seller)
    assert r.status_code == 200 and r.json()["buyer"] == buyer
    official = bearer(official_token(services, county_code))
    r = await http.get(f"/counties/{county_code}/orders/{oid}", headers=official)
    assert r.status_code == 200 and r.json()["seller"] == seller.credit_code

    # each sees only its own: another buyer, another seller, another county
    other = given_buyer(services, county_code)
    r = await http.get(f"/organisations/{other}/orders/{oid}", headers=token(services, "buyer", other))
    assert r.status_code == 404
    rival = given_certified_seller(services, county_code)
    r = await http.get(f"/organisations/{rival.credit_code}/orders/{oid}",
                       headers=token(services, "seller", rival.credit_code))
    assert r.status_code == 404
    elsewhere = f"{county_code[:4]}02"
    services.registry.register_county(elsewhere, "邻县", "测试省", "test")
    r = await http.get(f"/counties/{elsewhere}/orders/{oid}", headers=bearer(official_token(services, elsewhere)))
    assert r.status_code == 404


async def test_a_cancelled_order_gives_its_stock_back(http: httpx.AsyncClient, services: Services,
                                                      county_code: str) -> None:
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, stock=5)
    rice = given_certified_product(services, seller, stock=8, category="grain_oil", name="富硒大米")
    buyer = given_buyer(services, county_code, "enterprise")
    as_buyer = token(services, "buyer", buyer)
    oid = (await place(http, buyer, as_buyer, [(rice.product_id, 8), (tea.product_id, 2)])).json()["order_id"]
    assert (stock(services, tea), stock(services, rice)) == (3, 0)
    r = await place(http, buyer, as_buyer, [(rice.product_id, 1)], 409)
    assert "only 0 罐 of 富硒大米 in stock" in r.json()["detail"]
    await step(http, buyer, as_buyer, oid, "cancellation", reason="预算调整")
    assert (stock(services, tea), stock(services, rice)) == (5, 8)
    r = await step(http, buyer, as_buyer, oid, "payment", 409, paid_on=day(0), payment_reference="ZF-2")
    assert "cancelled" in r.json()["detail"]


async def test_cancelling_a_paid_order_records_the_refund_of_what_was_paid(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Given a paid order of two lines, one refunded in part, when the buyer cancels it before shipment, then the
    rest of every line is refunded (recorded, dated today, naming the cancellation) and the stock comes back; a
    refund afterwards finds nothing left rather than a 409."""
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, stock=5)
    rice = given_certified_product(services, seller, stock=8, category="grain_oil", name="富硒大米")
    buyer = given_buyer(services, county_code, "enterprise")
    as_buyer, as_seller = token(services, "buyer", buyer), token(services, "seller", seller.credit_code)
    oid = (await place(http, buyer, as_buyer, [(rice.product_id, 2), (tea.product_id, 1)])).json()["order_id"]
    await step(http, buyer, as_buyer, oid, "payment", paid_on=day(0), payment_reference="ZF-9")
    await step(http, seller.credit_code, as_seller, oid, "refunds", line_no=1, amount_fen=5_000, reason="少发一袋")
    await step(http, buyer, as_buyer, oid, "cancellation", reason="预算调整")
    view = (await http.get(f"/organisations/{buyer}/orders/{oid}", headers=as_buyer)).json()
    assert view["status"] == "cancelled" and view["refunded_fen"] == view["total_fen"] == 30_000
    assert [(r["line_no"], r["amount_fen"], r["refunded_on"]) for r in view["refunds"]] == [
        (1, 5_000, day(0)), (1, 15_000, day(0)), (2, 10_000, day(0))]
    assert "预算调整" in view["refunds"][-1]["reason"]
    assert (stock(services, tea), stock(services, rice)) == (5, 8)
    r = await step(http, seller.credit_code, as_seller, oid, "refunds", 422, line_no=1, amount_fen=1, reason="再退")
    assert "0 fen left" in r.json()["detail"]


async def test_only_certified_unexpired_products_of_one_certified_seller_are_ordered(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    today = date.fromisoformat(day(0))
    seller = given_certified_seller(services, county_code)
    expired = given_certified_product(services, seller, certified_on=today - timedelta(days=400),
                                      valid_to=today - timedelta(days=1), stock=10)
    buyer = given_buyer(services, county_code)
    as_buyer = token(services, "buyer", buyer)
    r = await place(http, buyer, as_buyer, [(expired.product_id, 1)], 409)
    detail = r.json()["detail"]
    assert expired.certificate_number in detail and "expired" in detail and "lines[0].product_id" in detail
    assert stock(services, expired) == 10  # nothing written

    lapsed = given_certified_seller(services, county_code, certified_on=today - timedelta(days=400),
                                    valid_to=today - timedelta(days=1))
    orphan = given_certified_product(services, lapsed, certified_on=today - timedelta(days=300))
    r = await place(http, buyer, as_buyer, [(orphan.product_id, 1)], 409)
    assert "certificate" in r.json()["detail"] and lapsed.credit_code in r.json()["detail"]

    good = given_certified_product(services, seller)
    other = given_certified_product(services, given_certified_seller(services, county_code))
    r = await place(http, buyer, as_buyer, [(good.product_id, 1), (other.product_id, 1)], 422)
    assert r.json()["errors"][0]["field"] == "lines[1].product_id"
    r = await place(http, buyer, as_buyer, [(uuid.uuid4(), 1)], 422)
    assert r.json()["errors"][0]["field"] == "lines[0].product_id"
    r = await place(http, buyer, as_buyer, [(good.product_id, 1), (good.product_id, 2)], 422)
    assert r.json()["errors"][0]["field"] == "lines[1].product_id"
    for bad in ({"lines": []}, {"lines": [{"product_id": str(good.product_id), "quantity": 0}]},
                {"lines": [{"product_id": str(good.product_id), "quantity": 1}], "tag": "friends"}):
        r = await http.post(f"/organisations/{buyer}/orders", headers={**as_buyer, **key()}, json=bad)
        assert r.status_code == 400, r.text
    for header in ({}, {"Idempotency-Key": "short"}, {"Idempotency-Key": "含中文的键值一二三四".encode()},
                   {"Idempotency-Key": "x" * 101}):
        r = await http.post(f"/organisations/{buyer}/orders", headers={**as_buyer, **header},
                            json={"lines": [{"product_id": str(good.product_id), "quantity": 1}]})
        assert r.status_code == 400, (header, r.text)
        assert r.json()["errors"][0]["field"] in ("idempotency_key", "Idempotency-Key"), r.text
    assert stock(services, good) == 1000


async def test_50_concurrent_clients_ordering_the_last_10_units_sell_exactly_10(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, stock=10)
    buyers = [given_buyer(services, county_code) for _ in range(50)]
    tokens = {b: token(services, "buyer", b) for b in buyers}

    async def order(b: str) -> httpx.Response:
        return await http.post(f"/organisations/{b}/orders", headers={**tokens[b], **key()},
                               json={"lines": [{"product_id": str(tea.product_id), "quantity": 1}]})

    answers = await asyncio.gather(*(order(b) for b in buyers))
    sold = [r for r in answers if r.status_code == 201]
    refused = [r for r in answers if r.status_code != 201]
    assert len(sold) == 10
    for r in refused:
        assert r.status_code == 409, r.text
        assert "in stock" in r.json()["detail"], r.text
    assert stock(services, tea) == 0
    levels = [e.stock for e in services.app.events.get(tea.product_id) if isinstance(e, Product.StockTaken)]
    assert levels == list(range(9, -1, -1))  # one unit at a time, never below zero
