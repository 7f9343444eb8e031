"""Benefit-linkage money (利益联结) a seller and a county can trust, through HTTP (issue 22, points 1–5):

- a revenue-share payout never exceeds what is owed to that payee for that product (no advance);
- a refund after the payout opens a recovery (追回) per payee, shown to the seller, the county and on the household,
  flagged while open, settled by a recovery payment or by later accruals;
- a plan change takes effect from the current month on, never into months already accrued;
- a refund takes back what its sale gave, from the households of the plan that shared the sale;
- every linkage kind may pay the households a plan of the seller's names, in their own county.

Amounts: a 10 % share of a 1,000.00元 sale pools 100.00元: 30.00 to the collective, 23.34 / 23.33 / 23.33 to A, B, C.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import (credit_code, given_buyer, given_certified_product, given_certified_seller,
                                     given_received_order, given_refund)
from tests.e2e.test_consumption_reads_api import get, token
from tests.helpers import households_csv, id_number
from tests.income_given import given_verified_slips
from xiaofei.bootstrap import Services
from xiaofei.domain.clock import business_today


def _month_start(day: date, back: int = 0) -> date:
    """The first day of the month ``back`` months before ``day``'s."""
    y, m = day.year, day.month - back
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1)


class Scene:
    def __init__(self, services: Services, county: str, households: int = 4) -> None:
        services.importer.run(county, "h.csv", households_csv(county, households), "test")
        self.services = services
        self.county = county
        self.numbers = [f"{county}H{h:07d}" for h in range(households)]
        self.seller = given_certified_seller(services, county)
        self.product = given_certified_product(services, self.seller, price_fen=100_000,
                                               households=tuple(self.numbers[:3]), rate="0.10")
        self.buyer = given_buyer(services, county)
        self.mine = token(services, "seller", self.seller.credit_code)
        self.official = bearer(official_token(services, county))
        self.url = f"/organisations/{self.seller.credit_code}/linkage-payments"

    def sale(self, received_on: date) -> Any:
        return given_received_order(self.services, self.buyer, self.product, received_on=received_on)

    async def pay(self, http: httpx.AsyncClient, payee: str, amount_fen: int, reference: str,
                  kind: str = "revenue_share_payout") -> httpx.Response:
        return await http.post(self.url, headers=self.mine, json={
            "kind": kind, "payee": payee, "amount_fen": amount_fen, "paid_on": business_today().isoformat(),
            "reference": reference, "product_id": str(self.product.product_id)})

    async def obligations(self, http: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
        found = await get(http, f"/organisations/{self.seller.credit_code}/obligations", self.mine,
                          min_position=self.services.app.head_position())
        return {o["payee"]: o for o in found["items"]}


async def test_a_payout_above_what_is_owed_to_that_payee_for_that_product_is_refused_naming_what_is_owed(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = Scene(services, county_code)
    a, _, _, outsider = scene.numbers
    scene.sale(date(2025, 5, 10))

    r = await scene.pay(http, a, 50_000, "FH-1")
    assert r.status_code == 422, r.text
    (problem,) = r.json()["errors"]
    assert problem["field"] == "amount_fen" and "owed 23.34元" in problem["reason"], problem
    r = await scene.pay(http, outsider, 7_777, "FH-2")  # registered, in no plan of the product
    assert r.status_code == 422 and "owed 0.00元" in r.json()["errors"][0]["reason"], r.text

    assert (await scene.pay(http, a, 2_334, "FH-3")).status_code == 201
    r = await scene.pay(http, a, 1, "FH-4")
    assert r.status_code == 422 and "owed 0.00元" in r.json()["errors"][0]["reason"], r.text
    assert (await scene.pay(http, "collective", 3_000, "FH-5")).status_code == 201
    line = (await scene.obligations(http))[a]
    assert (line["accrued_fen"], line["paid_fen"], line["owed_fen"], line["to_recover_fen"]) == (2334, 2334, 0, 0)
    # nothing was written by the refusals
    assert [p["reference"] for p in line["payouts"]] == ["FH-3"]
    assert (await http.get(f"{scene.url}/FH-1", headers=scene.mine)).status_code == 404


async def test_a_refund_after_the_payout_opens_a_recovery_per_payee_settled_by_repayment_or_later_accruals(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = Scene(services, county_code)
    a, b, c, _ = scene.numbers
    order = scene.sale(date(2025, 5, 10))
    for n, (payee, fen) in enumerate((("collective", 3_000), (a, 2_334), (b, 2_333), (c, 2_333))):
        assert (await scene.pay(http, payee, fen, f"FH-{n}")).status_code == 201
    given_refund(services, order, 100_000, recorded_on=date(2025, 6, 3))  # the whole sale

    owed = await scene.obligations(http)
    assert {p: (o["owed_fen"], o["to_recover_fen"], o["recovery_open"]) for p, o in owed.items()} == {
        "collective": (0, 3000, True), a: (0, 2334, True), b: (0, 2333, True), c: (0, 2333, True)}
    assert all(o["accrued_fen"] - o["paid_fen"] == o["owed_fen"] - o["to_recover_fen"] for o in owed.values())
    # the county sees it, flagged
    flags = await get(http, f"/counties/{county_code}/consumption-flags", scene.official,
                      kind="revenue_share_recovery_open")
    assert sorted((f["evidence"]["payee"], f["evidence"]["to_recover_fen"]) for f in flags["items"]) == sorted(
        [("collective", 3000), (a, 2334), (b, 2333), (c, 2333)])
    county_view = await get(http, f"/counties/{county_code}/linkage-obligations", scene.official, payee=a)
    assert county_view["items"][0]["to_recover_fen"] == 2334
    # the household's view says what it received and what is to be recovered
    income = await get(http, f"/counties/{county_code}/households/{a}/linkage-income", scene.official, year=2025)
    assert [(ln["month"], ln["amount_fen"]) for ln in income["lines"]] == [("2025-05", 2334), ("2025-06", -2334)]
    (settled,) = income["revenue_share"]
    assert (settled["paid_fen"], settled["accrued_fen"], settled["to_recover_fen"]) == (2334, 0, 2334)
    assert [p["reference"] for p in settled["payouts"]] == ["FH-1"]

    # A gives it back: no more than is to be recovered, then the recovery is closed
    r = await scene.pay(http, a, 2_335, "ZH-1", kind="revenue_share_recovery")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount_fen", r.text
    assert (await scene.pay(http, a, 2_334, "ZH-2", kind="revenue_share_recovery")).status_code == 201
    # later accruals settle B's: a new 1,000.00 sale accrues 23.33 to B again
    scene.sale(date(2025, 7, 1))
    owed = await scene.obligations(http)
    assert (owed[a]["to_recover_fen"], owed[a]["owed_fen"], owed[a]["recovery_open"]) == (0, 2334, False)
    assert (owed[b]["to_recover_fen"], owed[b]["owed_fen"], owed[b]["recovery_open"]) == (0, 0, False)
    flags = await get(http, f"/counties/{county_code}/consumption-flags", scene.official,
                      kind="revenue_share_recovery_open")
    assert [f["evidence"]["payee"] for f in flags["items"]] == []  # collective and C: 30.00 + 23.34 accrued again
    assert (owed["collective"]["to_recover_fen"], owed[c]["to_recover_fen"]) == (0, 0)


async def test_a_plan_change_takes_effect_from_the_current_month_at_the_earliest(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = Scene(services, county_code)
    a, _, _, d = scene.numbers
    today = business_today()
    earlier = _month_start(today, 2)
    scene.sale(earlier + timedelta(days=2))
    url = f"/organisations/{scene.seller.credit_code}/products/{scene.product.product_id}/plan"
    plan = {"households": [{"household_number": d, "weight": 1}], "mechanisms": ["revenue_share"],
            "revenue_share_rate": "0.10"}
    for month in (earlier.strftime("%Y-%m"), "2015-01", _month_start(today, 1).strftime("%Y-%m")):
        r = await http.post(url, headers=scene.mine, json={"plan": plan, "effective_month": month,
                                                          "reason": "改为D户"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "effective_month", (month, r.text)
    r = await http.post(url, headers=scene.mine, json={"plan": plan, "effective_month": today.strftime("%Y-%m"),
                                                      "reason": "改为D户"})
    assert r.status_code == 201, r.text
    income = await get(http, f"/counties/{county_code}/households/{a}/linkage-income", scene.official,
                       year=earlier.year, min_position=r.json()["position"])
    assert [(ln["month"], ln["amount_fen"]) for ln in income["lines"]] == [(earlier.strftime("%Y-%m"), 2334)]


async def test_a_refund_takes_back_what_its_sale_gave_from_the_households_the_sale_shared_with(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = Scene(services, county_code)
    a, _, _, d = scene.numbers
    today = business_today()
    sold = _month_start(today, 2) + timedelta(days=4)
    order = scene.sale(sold)
    r = await http.post(f"/organisations/{scene.seller.credit_code}/products/{scene.product.product_id}/plan",
                        headers=scene.mine, json={
                            "plan": {"households": [{"household_number": d, "weight": 1}],
                                     "mechanisms": ["revenue_share"], "revenue_share_rate": "0.10"},
                            "effective_month": today.strftime("%Y-%m"), "reason": "改为D户"})
    assert r.status_code == 201, r.text
    given_refund(services, order, 100_000, recorded_on=today)

    owed = await scene.obligations(http)
    assert d not in owed  # D never shared in the sale: it owes and is owed nothing
    assert (owed[a]["accrued_fen"], owed[a]["owed_fen"]) == (0, 0)
    month = today.strftime("%Y-%m")
    pools = await get(http, f"/counties/{county_code}/revenue-pools", scene.official, month=month)
    (refund_pool,) = pools["items"]
    assert (refund_pool["month"], refund_pool["sales_month"], refund_pool["pool_fen"]) == (
        month, sold.strftime("%Y-%m"), -10_000)
    assert sorted((s["payee"], s["amount_fen"]) for s in refund_pool["shares"]) == sorted(
        [("collective", -3000), (a, -2334), (scene.numbers[1], -2333), (scene.numbers[2], -2333)])
    # the household income projection agrees: A's share comes back in the month the refund is recorded
    years = {today.year, sold.year}
    lines = []
    for year in sorted(years):
        r = await http.get(f"/counties/{county_code}/households/{a}/income", headers=scene.official,
                           params={"year": year, "min_position": services.app.head_position()})
        if r.status_code == 200:
            lines += [(ln["month"], ln["amount_fen"]) for ln in r.json()["lines"] if ln["kind"] == "revenue_share"]
    assert sorted(lines) == [(sold.strftime("%Y-%m"), 2334), (month, -2334)]
    r = await http.get(f"/counties/{county_code}/households/{d}/income", headers=scene.official,
                       params={"year": today.year, "min_position": services.app.head_position()})
    assert r.status_code == 404 or not [ln for ln in r.json()["lines"] if ln["kind"] == "revenue_share"], r.text


async def test_every_linkage_kind_pays_the_households_a_plan_names_in_their_own_county(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    origin = f"{int(county_code) + 41:06d}"
    services.registry.register_county(origin, "脱贫县", "测试省", "test")
    services.importer.run(origin, "o.csv", households_csv(origin, 2), "test")
    named, unnamed = f"{origin}H0000000", f"{origin}H0000001"
    seller = given_certified_seller(services, county_code)
    given_certified_product(services, seller, households=(named,), origin_county=origin)
    mine = token(services, "seller", seller.credit_code)
    url = f"/organisations/{seller.credit_code}/linkage-payments"
    today = business_today().isoformat()
    for n, body in enumerate(({"kind": "procurement", "produce": "forest_products", "quantity": "100 斤"},
                              {"kind": "land_rent"}, {"kind": "dividend"})):
        r = await http.post(url, headers=mine, json={**body, "payee": named, "amount_fen": 10_000 + n,
                                                     "paid_on": today, "reference": f"X-{n}"})
        assert r.status_code == 201, r.text
        r = await http.get(f"{url}/X-{n}", headers=mine)
        assert r.json()["payee_county"] == origin
    r = await http.post(url, headers=mine, json={"kind": "land_rent", "payee": named, "payee_county": origin,
                                                 "amount_fen": 500, "paid_on": today, "reference": "X-9"})
    assert r.status_code == 201, r.text
    r = await http.post(url, headers=mine, json={"kind": "land_rent", "payee": unnamed, "payee_county": origin,
                                                 "amount_fen": 500, "paid_on": today, "reference": "X-10"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "payee_county", r.text
    r = await http.post(url, headers=mine, json={"kind": "land_rent", "payee": unnamed, "amount_fen": 500,
                                                 "paid_on": today, "reference": "X-11"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "payee", r.text
    official = bearer(official_token(services, origin))
    income = await get(http, f"/counties/{origin}/households/{named}/linkage-income", official,
                       min_position=services.app.head_position())
    assert sorted(ln["amount_fen"] for ln in income["lines"]) == [500, 10_000, 10_001, 10_002]
    # and the household income projection files them under the household's own county
    r = await http.get(f"/counties/{origin}/households/{named}/income", headers=official,
                       params={"year": business_today().year, "min_position": services.app.head_position()})
    assert sorted(ln["amount_fen"] for ln in r.json()["lines"] if ln["kind"] != "revenue_share") == [
        500, 10_000, 10_001, 10_002], r.text


async def test_an_ineligible_households_weight_goes_to_the_eligible_ones_from_the_month_it_is_ineligible(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Issue 22 point 16. Plan A, B, C (exited households), 10 %: a 1,000.00元 sale in March pools 100.00元, 30.00
    to the collective, 23.34 / 23.33 / 23.33. B becomes an ordinary household (一般农户) from April: April's 100.00
    pool goes 35.00 / 35.00 to A and C and nothing to B, whose March share stands; the flag names B, B owes and is
    owed nothing of April, and nobody is overdue for a share that never accrued."""
    scene = Scene(services, county_code)
    a, b, c, _ = scene.numbers
    scene.sale(date(2025, 3, 10))
    services.registry.change_category(county_code, b, "ordinary", None, date(2025, 4, 1), "correction",
                                      "核实为一般农户", "test")
    scene.sale(date(2025, 4, 10))
    pools = await get(http, f"/counties/{county_code}/revenue-pools", scene.official,
                      min_position=services.app.head_position())
    shares = {p["month"]: {s["payee"]: s["amount_fen"] for s in p["shares"]} for p in pools["items"]}
    assert shares["2025-03"] == {"collective": 3000, a: 2334, b: 2333, c: 2333}
    assert shares["2025-04"] == {"collective": 3000, a: 3500, c: 3500}
    owed = await scene.obligations(http)
    assert (owed[b]["accrued_fen"], owed[a]["accrued_fen"], owed[c]["accrued_fen"]) == (2333, 5834, 5833)
    flags = await get(http, f"/counties/{county_code}/consumption-flags", scene.official,
                      kind="plan_household_ineligible")
    (flag,) = flags["items"]
    assert flag["evidence"]["household_number"] == b and "accrues nothing" in flag["evidence"]["share"]
    # the income projection splits the same way
    r = await http.get(f"/counties/{county_code}/households/{b}/income", headers=scene.official,
                       params={"year": 2025, "min_position": services.app.head_position()})
    assert [(ln["month"], ln["amount_fen"]) for ln in r.json()["lines"] if ln["kind"] == "revenue_share"] == [
        ("2025-03", 2333)]
    r = await http.get(f"/counties/{county_code}/households/{a}/income", headers=scene.official,
                       params={"year": 2025, "min_position": services.app.head_position()})
    assert [(ln["month"], ln["amount_fen"]) for ln in r.json()["lines"] if ln["kind"] == "revenue_share"] == [
        ("2025-03", 2334), ("2025-04", 3500)]


async def test_drill_down_lines_name_the_employer_the_seller_the_product_the_member_and_the_sales(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Issue 22 point 24. A household's income lines name, beside the codes, the employer of a slip and which member
    earned it, and the seller, the product and the sales behind a revenue share."""
    scene = Scene(services, county_code)
    a = scene.numbers[0]
    order = scene.sale(date(2025, 5, 10))
    worker = services.employment.protector.hash(id_number(county_code, 0, born="19700115"))  # A's first member
    org = credit_code(county_code, "91")
    services.employment.register_organisation(county_code, org, "上犹县扶贫车间有限公司", "enterprise", "", "test")
    workshop, _ = services.employment.register_workshop(org, "测试车间", "factory", f"{county_code}200001", "", "test")
    given_verified_slips(services, org, county_code, workshop, "2025-05", [(worker, 60_000)])
    r = await http.get(f"/counties/{county_code}/households/{a}/income", headers=scene.official,
                       params={"year": 2025, "min_position": services.app.head_position()})
    assert r.status_code == 200, r.text
    lines = {ln["kind"]: ln for ln in r.json()["lines"]}
    slip = lines["wage_slip"]
    assert (slip["names"], slip["source"]["person_number"]) == ({"organisation": "上犹县扶贫车间有限公司"}, f"{a}01")
    share = lines["revenue_share"]
    assert share["names"] == {"seller": "测试茶叶专业合作社", "product": "测试绿茶"}
    assert share["source"]["sale_keys"] == [f"order:{order}:1"] and share["source"]["sales"] == 1


async def test_a_household_registered_later_does_not_take_a_share_of_months_before_its_registration(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Review: plan A and X, X not registered yet. A March sale's households' part goes to A (registered) and A is
    paid; X registered later, effective in December, shares from December only: March stays as it was paid."""
    scene = Scene(services, county_code, households=1)
    a = scene.numbers[0]
    x = f"{county_code}H0000009"
    product = given_certified_product(services, scene.seller, price_fen=100_000, households=(a, x), rate="0.10")
    given_received_order(services, scene.buyer, product, received_on=date(2025, 3, 10))
    pools = await get(http, f"/counties/{county_code}/revenue-pools", scene.official, month="2025-03",
                      product=str(product.product_id), min_position=services.app.head_position())
    assert {s["payee"]: s["amount_fen"] for s in pools["items"][0]["shares"]} == {"collective": 3000, a: 7000}
    csv_x = households_csv(county_code, 10).decode().splitlines()
    rows = [csv_x[0]] + [ln.replace(",2014-01-01", ",2025-12-01") for ln in csv_x[1:] if f",{x}," in ln]
    services.importer.run(county_code, "x.csv", ("\n".join(rows) + "\n").encode(), "test")
    pools = await get(http, f"/counties/{county_code}/revenue-pools", scene.official, month="2025-03",
                      product=str(product.product_id), min_position=services.app.head_position())
    assert {s["payee"]: s["amount_fen"] for s in pools["items"][0]["shares"]} == {"collective": 3000, a: 7000}
