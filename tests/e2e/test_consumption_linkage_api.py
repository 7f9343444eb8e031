"""Linkage payments through HTTP: a seller records what it paid the households of its benefit linkage —
procurement, revenue-share payouts (to a household or the village collective), land rent, dividends — each unique by
its reference, a household payee registered in the seller's county."""

from __future__ import annotations

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import given_certified_product, given_certified_seller
from tests.e2e.test_consumption_certification_api import day
from tests.e2e.test_consumption_orders_api import token
from tests.helpers import household_payload
from xiaofei.bootstrap import Services


async def test_payments_to_registered_households_are_recorded_once_by_reference(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    r = await http.post(f"/counties/{county_code}/households", headers=official,
                        json=household_payload(county_code, "H001"))
    assert r.status_code == 201, r.text
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, households=("H001",))
    headers = token(services, "seller", seller.credit_code)
    url = f"/organisations/{seller.credit_code}/linkage-payments"
    procurement = {"kind": "procurement", "payee": "H001", "amount_fen": 150000, "paid_on": day(-2),
                   "reference": "SG-2026-0001", "produce": "forest_products", "quantity": "500 斤"}
    r = await http.post(url, headers=headers, json=procurement)
    assert r.status_code == 201, r.text
    r = await http.post(url, headers=headers, json=procurement)
    assert r.status_code == 409 and "SG-2026-0001" in r.json()["detail"]
    r = await http.get(f"{url}/SG-2026-0001", headers=headers)
    assert r.status_code == 200
    assert {k: r.json()[k] for k in procurement} == procurement
    r = await http.get(f"{url}/SG-2026-0001", headers=official)
    assert r.status_code == 200 and r.json()["county"] == county_code
    assert (await http.get(f"{url}/SG-2026-9999", headers=headers)).status_code == 404

    payout = {"kind": "revenue_share_payout", "payee": "collective", "amount_fen": 3000, "paid_on": day(0),
              "reference": "FH-2026-05", "product_id": str(tea.product_id)}
    r = await http.post(url, headers=headers, json=payout)  # nothing sold yet: nothing is owed
    assert r.status_code == 422 and "owed 0.00元" in r.json()["errors"][0]["reason"], r.text
    for bad, field in (({**procurement, "reference": "SG-2", "payee": "H404"}, "payee"),
                       ({**procurement, "reference": "SG-3", "produce": None}, "produce"),
                       ({"kind": "land_rent", "payee": "collective", "amount_fen": 100, "paid_on": day(0),
                         "reference": "ZJ-1"}, "payee"),
                       ({**payout, "reference": "FH-2", "product_id": "00000000-0000-0000-0000-000000000001"},
                        "product_id"),
                       ({"kind": "dividend", "payee": "H001", "amount_fen": 100, "paid_on": day(1),
                         "reference": "FH-3"}, "paid_on")):
        r = await http.post(url, headers=headers, json=bad)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, (bad, r.text)
    r = await http.post(url, headers=headers, json={**procurement, "reference": "含 空格"})
    assert r.status_code == 400
    r = await http.post(url, headers=headers, json={"kind": "land_rent", "payee": "H001", "amount_fen": 20000,
                                                    "paid_on": day(0), "reference": "ZJ-2026"})
    assert r.status_code == 201, r.text
