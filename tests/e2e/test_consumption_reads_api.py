"""The consumption reads through HTTP, given these events: the worked examples of issue 9 (the May pool and the June
refund; a budget unit's 20% progress), what each role sees, and the lists a county official works from."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import (
    given_buyer,
    given_certified_product,
    given_certified_seller,
    given_received_order,
    given_refund,
)
from tests.e2e.test_claims_api import shanghai_today
from tests.helpers import households_csv
from xiaofei.bootstrap import Services
from xiaofei.domain import ids
from xiaofei.domain.consumption.buyers import ShareFiling
from xiaofei.domain.consumption.linkage import LinkageLedger, LinkagePayment


def token(services: Services, role: str, org: str) -> dict[str, str]:
    return bearer(services.access.issue(role, [], org, role, "test").secret)


async def get(http: httpx.AsyncClient, path: str, headers: dict[str, str], expect: int = 200,
              **params: Any) -> Any:
    r = await http.get(path, headers=headers, params={"min_position": 0, **params})
    assert r.status_code == expect, r.text
    return r.json()


async def caught_up(http: httpx.AsyncClient, services: Services, headers: dict[str, str], county: str) -> None:
    await get(http, f"/counties/{county}/sales", headers, min_position=services.app.head_position())


async def test_a_10_percent_share_of_1000_yuan_in_may_gives_30_and_23_34_23_33_23_33_and_a_june_refund_only_june(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    services.importer.run(county_code, "h.csv", households_csv(county_code, 3), "test")
    a, b, c = (f"{county_code}H{h:07d}" for h in range(3))
    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller, price_fen=100_000, households=(a, b, c), rate="0.10")
    unit = given_buyer(services, county_code)
    order = given_received_order(services, unit, product, received_on=date(2024, 5, 20))
    official = bearer(official_token(services, county_code))
    await caught_up(http, services, official, county_code)

    pools = await get(http, f"/counties/{county_code}/revenue-pools", official)
    (may,) = pools["items"]
    assert (may["month"], may["net_sales_fen"], may["pool_fen"], may["collective_fen"]) == ("2024-05", 100_000,
                                                                                             10_000, 3_000)
    assert [(s["payee"], s["amount_yuan"]) for s in may["shares"]] == [(a, "23.34"), (b, "23.33"), (c, "23.33"),
                                                                      ("collective", "30.00")]
    given_refund(services, order, 10_000, recorded_on=date(2024, 6, 3))
    await caught_up(http, services, official, county_code)
    months = {p["month"]: p for p in (await get(http, f"/counties/{county_code}/revenue-pools", official))["items"]}
    assert months["2024-05"] == may  # May unchanged
    assert (months["2024-06"]["pool_fen"], months["2024-06"]["collective_fen"]) == (-1_000, -300)
    sales = await get(http, f"/counties/{county_code}/sales", official, by="month")
    assert [(r["key"], r["amount_fen"], r["sales"], r["refunds"]) for r in sales["items"]] == [
        ("2024-05", 100_000, 1, 0), ("2024-06", -10_000, 0, 1)]

    # the household's linkage income: its share accrued in May, taken back in June
    income = await get(http, f"/counties/{county_code}/households/{a}/linkage-income", official, year=2024)
    assert [(ln["month"], ln["kind"], ln["amount_fen"]) for ln in income["lines"]] == [
        ("2024-05", "revenue_share", 2334), ("2024-06", "revenue_share", -234)]
    assert income["totals"] == {"property": 2100}

    # what the seller owes: accrued, a payout, owed, and overdue once 90 days have passed after May's end
    ledger = LinkageLedger(seller=seller.credit_code, county=county_code)
    ledger.record_payment(LinkagePayment(kind="revenue_share_payout", payee=a, amount_fen=1_000,
                                         paid_on=date(2024, 7, 1), reference="PAY-A", product_id=product.product_id),
                          "test", accrued_fen=2100)
    services.app.record(ledger)
    seller_token = token(services, "seller", seller.credit_code)
    owed = await get(http, f"/organisations/{seller.credit_code}/obligations", seller_token,
                     min_position=services.app.head_position())
    line = next(o for o in owed["items"] if o["payee"] == a)
    assert (line["accrued_fen"], line["paid_fen"], line["owed_fen"], line["oldest_unpaid_month"], line["overdue"]) \
        == (2100, 1000, 1100, "2024-05", True)
    flags = await get(http, f"/counties/{county_code}/consumption-flags", official, kind="revenue_share_overdue")
    assert {f["evidence"]["payee"] for f in flags["items"]} == {a, b, c, "collective"}


async def test_a_200000_yuan_canteen_at_10_percent_after_5000_received_one_refunded_1000_is_4000_or_20_percent(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller, price_fen=100_000, households=(), rate="0")
    unit = given_buyer(services, county_code)
    union = given_buyer(services, county_code, "trade_union", counts_for=unit)
    buyer = services.app.repository.get(ids.buyer_id(unit))
    buyer.file_share(ShareFiling(year=2025, kind="canteen", canteen_budget_fen=20_000_000,
                                 reserved_share_rate=Decimal("0.10"), shared_with=None, reserved_fen=2_000_000,
                                 minimum_rate=Decimal("0.10"), filed_on=date(2025, 1, 6)), "", "test")
    services.app.record(buyer)
    orders = [given_received_order(services, unit, product, quantity=2, received_on=date(2025, 3, 2)),
              given_received_order(services, unit, product, quantity=2, received_on=date(2025, 4, 2)),
              given_received_order(services, union, product, quantity=1, received_on=date(2025, 4, 9),
                                   buyer_type="trade_union", counts_for=unit)]
    given_refund(services, orders[1], 100_000, recorded_on=date(2025, 5, 6))
    given_received_order(services, unit, product, quantity=9, received_on=date(2024, 12, 30))  # another year

    unit_token = token(services, "buyer", unit)
    got = await get(http, f"/organisations/{unit}/reserved-share-progress", unit_token, year=2025,
                    min_position=services.app.head_position())
    (row,) = got["items"]
    assert (row["reserved_fen"], row["purchased_fen"], row["progress"]) == (2_000_000, 400_000, "0.2000")
    official = bearer(official_token(services, county_code))
    county = await get(http, f"/counties/{county_code}/reserved-share-progress", official, year=2025)
    assert [r["purchased_fen"] for r in county["items"] if r["budget_unit"] == unit] == [400_000]
    # a buyer sees its own orders only, a seller those of its products
    mine = await get(http, f"/organisations/{unit}/orders", unit_token)
    assert len(mine["items"]) == 3 and {o["buyer"] for o in mine["items"]} == {unit}
    fulfil = await get(http, f"/organisations/{seller.credit_code}/orders", token(services, "seller",
                                                                                    seller.credit_code))
    assert len(fulfil["items"]) == 4
    await get(http, f"/organisations/{union}/reserved-share-progress", unit_token, 403, year=2025)


async def test_officials_list_sellers_products_and_applications_and_buyers_search_the_catalogue(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    seller = given_certified_seller(services, county_code)
    current = given_certified_product(services, seller, name="有机高山云雾茶", price_fen=8_800)
    expired = given_certified_product(services, seller, name="过期红茶", certified_on=date.today() - timedelta(days=60),
                                      valid_to=date.today() - timedelta(days=1))
    official = bearer(official_token(services, county_code))
    await caught_up(http, services, official, county_code)
    sellers = await get(http, f"/counties/{county_code}/sellers", official, status="certified")
    assert [(s["credit_code"], s["products"], s["certified_products"]) for s in sellers["items"]] == [
        (seller.credit_code, 2, 1)]
    products = await get(http, f"/counties/{county_code}/products", official)
    status = {p["product_id"]: (p["status"], p["orderable"]) for p in products["items"]}
    assert status == {str(current.product_id): ("certified", True), str(expired.product_id): ("expired", False)}
    certs = await get(http, f"/counties/{county_code}/certifications", official, subject="product", status="expired")
    assert [c["subject_id"] for c in certs["items"]] == [str(expired.product_id)]

    buyer = token(services, "buyer", given_buyer(services, county_code))
    found = await get(http, "/catalogue", buyer, county=county_code, q="云雾", max_price_fen=10_000)
    assert [p["name"] for p in found["items"]] == ["有机高山云雾茶"]
    assert (await get(http, "/catalogue", buyer, county=county_code, min_price_fen=9_000))["items"] == []
    for bad in ({"county": "36"}, {"q": "\x01"}, {"category": "Tea!"}):
        r = await http.get("/catalogue", headers=buyer, params=bad)
        assert r.status_code in (400, 422) and r.json()["errors"][0]["field"] == next(iter(bad)), r.text
    # another county's official sees none of it
    other = bearer(official_token(services, "360701"))
    r = await http.get(f"/counties/{county_code}/products", headers=other)
    assert r.status_code == 403


async def test_every_consumption_read_answers_its_role(http: httpx.AsyncClient, services: Services,
                                                       county_code: str) -> None:
    services.importer.run(county_code, "h.csv", households_csv(county_code, 2), "test")
    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller, households=(f"{county_code}H0000000",), rate="0.20")
    unit = given_buyer(services, county_code)
    given_received_order(services, unit, product, quantity=3, received_on=date(2025, 2, 14))
    official = bearer(official_token(services, county_code))
    mine = token(services, "seller", seller.credit_code)
    await caught_up(http, services, official, county_code)
    county = f"/counties/{county_code}"
    assert (await get(http, f"{county}/linkage-obligations", official))["items"][0]["accrued_fen"] > 0
    (row,) = (await get(http, f"{county}/sale-rows", official, product=str(product.product_id),
                        month="2025-02"))["items"]
    assert (row["source"], row["day"], row["quantity"], row["counted"]) == ("order", "2025-02-14", 3, True)
    mine_owed = await get(http, f"{county}/linkage-obligations", official, payee=f"{county_code}H0000000")
    assert [o["seller"] for o in mine_owed["items"]] == [seller.credit_code]
    flags = await get(http, f"{county}/consumption-flags", official)
    assert {f["kind"] for f in flags["items"]} == {"revenue_share_overdue"}  # February's share is long unpaid
    assert (await get(http, f"{county}/sales", official, by="category", **{"from": "2025-01",
                                                                         "to": "2025-12"}))["items"][0]["key"] == "tea"
    org = f"/organisations/{seller.credit_code}"
    by_product = (await get(http, f"{org}/sales", mine, by="product"))["items"][0]
    assert (by_product["amount_fen"], by_product["name"]) == (3 * product.price_fen, "测试绿茶")  # named, not a UUID
    by_seller = (await get(http, f"{county}/sales", official, by="seller"))["items"][0]
    assert (by_seller["key"], by_seller["name"]) == (seller.credit_code, "测试茶叶专业合作社")
    assert (await get(http, f"{org}/revenue-pools", mine, month="2025-02"))["items"][0]["pool_fen"] == 6_000
    assert (await get(http, f"{org}/products", mine))["items"][0]["orderable"] is True
    assert (await get(http, f"{org}/channel-uploads", mine))["items"] == []
    assert (await get(http, f"{org}/obligations", mine))["items"][0]["owed_fen"] > 0
    r = await http.get(f"{county}/sales", headers=official, params={"from": "2025-13"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "from", r.text


async def test_a_plan_cannot_name_the_collective_as_a_household(http: httpx.AsyncClient, services: Services,
                                                                 county_code: str) -> None:
    """Review reproduction: a plan household numbered `collective` gave two `collective` rows to one pool, a
    unique violation that halted the county's consumption reads."""
    seller = given_certified_seller(services, county_code)
    r = await http.post(f"/organisations/{seller.credit_code}/products",
                        headers=token(services, "seller", seller.credit_code), json={
                            "name": "茶", "category": "tea", "specification": "250g", "unit": "罐",
                            "price_fen": 1000, "stock": 1, "origin_county": county_code, "yearly_capacity": 10,
                            "plan": {"households": [{"household_number": "collective", "weight": 1}],
                                     "mechanisms": ["revenue_share"], "revenue_share_rate": "0.10"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "plan.households", r.text


async def test_revenue_share_of_a_product_from_another_county_is_owed_to_and_paid_in_that_county(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Review reproduction: a product whose origin is a declared 脱贫县 names households of that county; a payout
    was checked against the seller's county and netted by household number alone."""
    origin = f"{int(county_code) + 40:06d}"
    services.registry.register_county(origin, "脱贫县", "测试省", "test")
    services.importer.run(origin, "o.csv", households_csv(origin, 1), "test")
    services.importer.run(county_code, "s.csv", households_csv(county_code, 1), "test")  # the same number, here
    number = f"{origin}H0000000"
    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller, price_fen=100_000, households=(number,), rate="0.10",
                                      origin_county=origin)
    given_received_order(services, given_buyer(services, county_code), product, received_on=date(2025, 3, 3))
    mine = token(services, "seller", seller.credit_code)
    r = await http.post(f"/organisations/{seller.credit_code}/linkage-payments", headers=mine, json={
        "kind": "revenue_share_payout", "payee": number, "amount_fen": 7_000, "paid_on": "2025-04-01",
        "reference": "FH-X-1", "product_id": str(product.product_id)})
    assert r.status_code == 201, r.text
    owed = await get(http, f"/organisations/{seller.credit_code}/obligations", mine,
                     min_position=r.json()["position"])
    line = next(o for o in owed["items"] if o["payee"] == number)
    assert (line["household_county"], line["accrued_fen"], line["paid_fen"], line["owed_fen"]) == (origin, 7000,
                                                                                                   7000, 0)


async def test_an_order_placed_while_certified_counts_though_received_after_the_certificate_expired(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Certification status is captured when an order is placed (统计口径): placed on 2025-06-27 while the product's
    certificate ran to 2025-06-29, received on 2025-06-30, it is a recognised sale of June; a refund of it in July
    is counted against it too."""
    official = bearer(official_token(services, county_code))
    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller, price_fen=100_000, valid_to=date(2025, 6, 29))
    order = given_received_order(services, given_buyer(services, county_code), product, received_on=date(2025, 6, 30))
    given_refund(services, order, 40_000, recorded_on=date(2025, 7, 2))
    await caught_up(http, services, official, county_code)
    sales = await get(http, f"/counties/{county_code}/sales", official, by="month")
    assert [(r["key"], r["amount_fen"]) for r in sales["items"]] == [("2025-06", 100_000), ("2025-07", -40_000)]


async def test_price_flags_judge_with_the_reference_and_band_in_force_on_the_day(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Issue 22 point 10. A tea at today's reference price 100.00元 is not flagged by a reference of 200.00元 dated
    half a year ahead; a rice at +25 % is flagged under the 20 % band and no longer once the county widens the band
    to 30 % from today (the review's price check, outside the band then, does not keep it flagged)."""
    official = bearer(official_token(services, county_code))
    today = date.fromisoformat(shanghai_today())
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, price_fen=10_000)
    rice = given_certified_product(services, seller, price_fen=12_500, category="grain_oil", name="富硒大米")
    for category, price, start in (("tea", 10_000, "2024-01-01"), ("tea", 20_000, str(today + timedelta(days=180))),
                                   ("grain_oil", 10_000, "2024-01-01")):
        r = await http.post(f"/counties/{county_code}/reference-prices", headers=official, json={
            "category": category, "specification": "250g", "unit": "罐", "price_fen": price,
            "effective_from": start, "source": "县发改局农产品价格监测"})
        assert r.status_code == 201, r.text

    async def flagged() -> dict[str, str]:
        found = await get(http, f"/counties/{county_code}/consumption-flags", official, kind="price_outside_band",
                          min_position=services.app.head_position())
        return {f["subject"]: f["evidence"]["deviation"] for f in found["items"]}

    assert await flagged() == {str(rice.product_id): "0.2500"}
    assert str(tea.product_id) not in await flagged()
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=official, json={
        "name": "product.price_band_pct", "value": "0.30", "effective_from": str(today),
        "source": "县乡村振兴局关于调整扶贫产品价格区间的通知", "era": "transition"})
    assert r.status_code == 201, r.text
    assert await flagged() == {}
