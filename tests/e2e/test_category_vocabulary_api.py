"""One vocabulary of categories (品类) for products and procurements (issue 22 point 26): a seller that lists
粮油 as ``grain_oil`` procures 粮油 as ``grain_oil`` too, not as ``grain``. Each category keeps its Chinese label
and deducts the operating cost of its 楚雄 cost class (``income.cost_ratio.grain`` for 粮油, and so on), and
procurements recorded before, under the former produce codes, still read — as their category, at the same cost."""

from __future__ import annotations

import json
from datetime import date

import httpx
from eventsourcing.persistence import StoredEvent

from tests.conftest import bearer, official_token
from tests.consumption_given import given_certified_seller
from tests.e2e.test_consumption_certification_api import day
from tests.e2e.test_consumption_orders_api import token
from tests.helpers import household_payload
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.linkage import LinkageLedger, LinkagePayment

COST_SOURCE = "县乡村振兴局关于2026年脱贫户收入测算生产经营性支出比例的通知（县振兴发〔2026〕5号）"


async def _household(http: httpx.AsyncClient, services: Services, county: str) -> dict[str, str]:
    official = bearer(official_token(services, county))
    r = await http.post(f"/counties/{county}/households", headers=official, json=household_payload(county, "H001"))
    assert r.status_code == 201, r.text
    return official


async def _procurement_lines(http: httpx.AsyncClient, services: Services, county: str, official: dict[str, str],
                             year: int) -> dict[str, dict]:  # type: ignore[type-arg]
    r = await http.get(f"/counties/{county}/households/H001/income", headers=official,
                       params={"year": year, "min_position": services.app.head_position()})
    assert r.status_code == 200, r.text
    return {line["source"]["reference"]: line for line in r.json()["lines"] if line["kind"] == "procurement"}


async def test_a_procurement_names_its_produce_with_the_product_categories_and_deducts_their_cost(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = await _household(http, services, county_code)
    seller = given_certified_seller(services, county_code)
    headers = token(services, "seller", seller.credit_code)
    paid_on = day(-2)
    # the county's own cost ratio of the 粮食 class applies to 粮油
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=official, json={
        "name": "income.cost_ratio.grain", "value": "0.50", "effective_from": f"{paid_on[:4]}-01-01",
        "source": COST_SOURCE, "era": "transition"})
    assert r.status_code == 201, r.text

    url = f"/organisations/{seller.credit_code}/linkage-payments"
    for reference, produce in (("SG-1", "grain_oil"), ("SG-2", "fruit"), ("SG-3", "tea")):
        r = await http.post(url, headers=headers, json={
            "kind": "procurement", "payee": "H001", "amount_fen": 100_000, "paid_on": paid_on,
            "reference": reference, "produce": produce, "quantity": "500 斤"})
        assert r.status_code == 201, r.text
    lines = await _procurement_lines(http, services, county_code, official, int(paid_on[:4]))
    assert {ref: (line["source"]["produce"], line["source"]["cost_parameter"], line["cost_fen"])
            for ref, line in lines.items()} == {
        "SG-1": ("grain_oil", "income.cost_ratio.grain", 50_000),
        "SG-2": ("fruit", "income.cost_ratio.forest_fruit", 15_000),
        "SG-3": ("tea", "income.cost_ratio.other_crops", 40_000)}

    # the former produce codes name no category any more: the answer says which one to use
    for former, category in (("grain", "grain_oil (粮油)"), ("livestock", "meat_eggs (肉禽蛋)")):
        r = await http.post(url, headers=headers, json={
            "kind": "procurement", "payee": "H001", "amount_fen": 100_000, "paid_on": paid_on,
            "reference": f"SG-{former}", "produce": former, "quantity": "500 斤"})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        [error] = r.json()["errors"]
        assert error["field"] == "produce" and f"former name of {category}" in error["reason"], r.text

    # and a product lists from the very same vocabulary, labels and all
    r = await http.post(f"/organisations/{seller.credit_code}/products", headers=headers, json={
        "name": "菜籽油", "category": "grain", "specification": "5L", "unit": "桶", "price_fen": 9_800,
        "stock": 10, "origin_county": county_code, "yearly_capacity": 100, "plan": {"households": [], "mechanisms": ["procurement"],
                                                      "revenue_share_rate": "0"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "category", r.text
    assert "grain_oil (粮油)" in r.json()["errors"][0]["reason"]


def _record_as_before_the_vocabulary(services: Services, ledger: LinkageLedger) -> int:
    """Record the ledger's events as the log holds those recorded before: PaymentRecorded v1 (no class_version)."""
    stored = []
    for event in ledger.collect_events():
        s = services.app.mapper.to_stored_event(event)
        state = json.loads(s.state)
        assert state.pop("class_version", 1) in (1, 2)
        stored.append(StoredEvent(s.originator_id, s.originator_version, s.topic, json.dumps(state).encode()))
    return max(services.app.recorder.insert_events(stored) or [0])


async def test_procurements_recorded_under_the_former_produce_codes_read_as_their_category_at_the_same_cost(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = await _household(http, services, county_code)
    seller = given_certified_seller(services, county_code)
    ledger = LinkageLedger(seller=seller.credit_code, county=county_code)
    for reference, former in (("OLD-1", "grain"), ("OLD-2", "forest_fruit"), ("OLD-3", "livestock"),
                              ("OLD-4", "other_crops"), ("OLD-5", "tobacco")):
        ledger.record_payment(LinkagePayment(kind="procurement", payee="H001", amount_fen=100_000,
                                             paid_on=date(2025, 10, 8), reference=reference, produce=former), "test")
    position = _record_as_before_the_vocabulary(services, ledger)

    r = await http.get(f"/organisations/{seller.credit_code}/linkage-payments/OLD-2",
                       headers=token(services, "seller", seller.credit_code), params={"min_position": position})
    assert r.status_code == 200, r.text
    assert r.json()["produce"] == "forest_products"
    lines = await _procurement_lines(http, services, county_code, official, 2025)
    assert {ref: (line["source"]["produce"], line["source"]["cost_parameter"], line["cost_fen"])
            for ref, line in lines.items()} == {
        "OLD-1": ("grain_oil", "income.cost_ratio.grain", 40_000),
        "OLD-2": ("forest_products", "income.cost_ratio.forest_fruit", 15_000),
        "OLD-3": ("meat_eggs", "income.cost_ratio.livestock", 40_000),
        "OLD-4": ("other", "income.cost_ratio.other_crops", 40_000),
        "OLD-5": ("tobacco", "income.cost_ratio.tobacco", 45_000)}
