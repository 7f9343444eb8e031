"""Issue 9's worked examples, every step a command through HTTP and every figure a read through HTTP: orders placed,
paid, shipped, received and refunded; a budget unit's filing and its progress; a revenue-share pool and its split;
a sale received the day before its certificate expires counts. (The May pool with a refund recorded in June needs
dates an HTTP command cannot state — a refund is dated the day it is recorded —: it is held, given those events, in
test_consumption_reads_api.py.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import given_certified_product, given_certified_seller
from tests.e2e.test_consumption_buyers_api import register
from tests.e2e.test_consumption_orders_api import place, step, token
from tests.helpers import households_csv
from xiaofei.bootstrap import Services
from xiaofei.domain.clock import business_today


async def received(http: httpx.AsyncClient, buyer: str, as_buyer: dict[str, str], seller: str,
                   as_seller: dict[str, str], product: Any, quantity: int) -> str:
    """An order placed, paid, shipped and received today."""
    today = business_today().isoformat()
    oid = (await place(http, buyer, as_buyer, [(product, quantity)])).json()["order_id"]
    await step(http, buyer, as_buyer, oid, "payment", paid_on=today, payment_reference=f"ZF-{oid[:8]}")
    await step(http, seller, as_seller, oid, "shipment", shipped_on=today, tracking=f"SF-{oid[:8]}")
    await step(http, buyer, as_buyer, oid, "receipt", received_on=today)
    return str(oid)


async def read(http: httpx.AsyncClient, path: str, headers: dict[str, str], position: int, **params: Any) -> Any:
    r = await http.get(path, headers=headers, params={"min_position": position, **params})
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_200000_yuan_canteen_at_10_percent_with_5000_yuan_received_and_1000_refunded_is_20_percent(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    year = business_today().year
    official = bearer(official_token(services, county_code))
    unit = (await register(http, county_code, official)).json()["key"]
    as_unit = token(services, "buyer", unit)
    r = await http.post(f"/organisations/{unit}/reserved-shares", headers=as_unit,
                        json={"year": year, "kind": "canteen", "canteen_budget_fen": 20_000_000,
                              "reserved_share_rate": "0.10"})
    assert r.status_code == 201 and r.json()["filing"]["reserved_fen"] == 2_000_000, r.text
    seller = given_certified_seller(services, county_code)
    rice = given_certified_product(services, seller, price_fen=100_000, households=(), rate="0", stock=100)
    as_seller = token(services, "seller", seller.credit_code)
    first = await received(http, unit, as_unit, seller.credit_code, as_seller, rice.product_id, 3)
    await received(http, unit, as_unit, seller.credit_code, as_seller, rice.product_id, 2)
    await step(http, seller.credit_code, as_seller, first, "refunds", line_no=1, amount_fen=100_000, reason="一袋霉变")

    got = await read(http, f"/organisations/{unit}/reserved-share-progress", as_unit, services.app.head_position(),
                     year=year)
    (row,) = got["items"]
    assert (row["reserved_fen"], row["purchased_fen"], row["progress"]) == (2_000_000, 400_000, "0.2000")


async def test_a_10_percent_share_of_a_1000_yuan_order_pools_100_yuan_30_to_the_collective_and_23_34_23_33_23_33(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    services.importer.run(county_code, "h.csv", households_csv(county_code, 3), "test")
    a, b, c = (f"{county_code}H{h:07d}" for h in range(3))
    today = business_today()
    seller = given_certified_seller(services, county_code)
    # its certificate's last day is tomorrow: a sale received today, the day before expiry, counts
    tea = given_certified_product(services, seller, price_fen=100_000, households=(c, b, a), rate="0.10",
                                  certified_on=today - timedelta(days=30), valid_to=today + timedelta(days=1))
    official = bearer(official_token(services, county_code))
    buyer = (await register(http, county_code, official, "enterprise")).json()["key"]
    as_buyer, as_seller = token(services, "buyer", buyer), token(services, "seller", seller.credit_code)
    await received(http, buyer, as_buyer, seller.credit_code, as_seller, tea.product_id, 1)

    month = today.strftime("%Y-%m")
    pools = await read(http, f"/counties/{county_code}/revenue-pools", official, services.app.head_position(),
                       month=month)
    (pool,) = pools["items"]
    assert (pool["net_sales_fen"], pool["pool_fen"], pool["collective_fen"]) == (100_000, 10_000, 3_000)
    assert [(s["payee"], s["amount_yuan"]) for s in pool["shares"]] == [(a, "23.34"), (b, "23.33"), (c, "23.33"),
                                                                       ("collective", "30.00")]
    sales = await read(http, f"/counties/{county_code}/sales", official, 0, by="product")
    assert [(s["key"], s["month"], s["amount_fen"]) for s in sales["items"]] == [(str(tea.product_id), month,
                                                                                  100_000)]
    owed = await read(http, f"/organisations/{seller.credit_code}/obligations", as_seller, 0)
    assert {o["payee"]: o["owed_fen"] for o in owed["items"]} == {a: 2334, b: 2333, c: 2333, "collective": 3000}
    # the seller pays household A its share: nothing more is owed to A
    r = await http.post(f"/organisations/{seller.credit_code}/linkage-payments", headers=as_seller,
                        json={"kind": "revenue_share_payout", "payee": a, "amount_fen": 2334,
                              "paid_on": today.isoformat(), "reference": "FH-0001",
                              "product_id": str(tea.product_id)})
    assert r.status_code == 201, r.text
    owed = await read(http, f"/organisations/{seller.credit_code}/obligations", as_seller, r.json()["position"])
    assert {o["payee"]: o["owed_fen"] for o in owed["items"]}[a] == 0
    income = await read(http, f"/counties/{county_code}/households/{a}/linkage-income", official, 0)
    assert income["totals"] == {"property": 2334}
