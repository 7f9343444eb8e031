"""Products through HTTP: a certified seller lists them with a benefit linkage plan, changes price, stock and plan,
delists; a product is certified by the same workflow as a seller, with a price check against the county's
reference price, and only for a certified seller that has declared its benefit linkage."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from tests.e2e.test_consumption_certification_api import (
    SellerScene,
    certification,
    certify_seller,
    day,
    seller_scene,
    step,
)
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.certification import add_months


def listing(county: str, **extra: Any) -> dict[str, Any]:
    return {"name": "高山绿茶", "category": "tea", "specification": "250g", "unit": "罐", "price_fen": 10000,
            "stock": 100, "origin_county": county, "origin_village": f"{county}100001", "yearly_capacity": 5000,
            "plan": {"households": [{"household_number": "H001", "weight": 1}, {"household_number": "H002", "weight": 2}],
                     "mechanisms": ["revenue_share"], "revenue_share_rate": "0.10"}, **extra}


async def list_product(http: httpx.AsyncClient, scene: SellerScene, expect: int = 201, **extra: Any) -> httpx.Response:
    r = await http.post(f"{scene.home}/products", headers=scene.seller, json=listing(scene.county, **extra))
    assert r.status_code == expect, r.text
    return r


async def product(http: httpx.AsyncClient, scene: SellerScene, product_id: str,
                  headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = await http.get(f"{scene.home}/products/{product_id}", headers=headers or scene.seller)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def apply_product(http: httpx.AsyncClient, scene: SellerScene, product_id: str, applied_on: str,
                        expect: int = 201) -> httpx.Response:
    r = await http.post(f"{scene.home}/products/{product_id}/certification-application", headers=scene.seller,
                        json={"applied_on": applied_on})
    assert r.status_code == expect, r.text
    return r


async def reference_price(http: httpx.AsyncClient, scene: SellerScene, price_fen: int, effective_from: str,
                          **extra: Any) -> None:
    r = await http.post(f"/counties/{scene.county}/reference-prices", headers=scene.official, json={
        "category": "tea", "specification": "250g", "unit": "罐", "price_fen": price_fen,
        "effective_from": effective_from, "source": "县发改局2026年农产品价格监测", **extra})
    assert r.status_code == 201, r.text


async def certified_seller(http: httpx.AsyncClient, services: Services, county: str, **kw: Any) -> SellerScene:
    scene = await seller_scene(http, services, county, **kw)
    await certify_seller(http, scene, start=-40)  # certified on day -31
    return scene


async def test_only_a_certified_seller_lists_and_the_origin_is_its_county_or_a_registered_one(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await seller_scene(http, services, county_code)
    r = await list_product(http, scene, 409)
    assert "certified seller" in r.json()["detail"]
    await certify_seller(http, scene, start=-40)
    r = await list_product(http, scene, 422, origin_county="450999", origin_village=None)
    assert r.json()["errors"][0]["field"] == "origin_county"
    r = await list_product(http, scene, 422, origin_village="450999100001")
    assert r.json()["errors"][0]["field"] == "origin_village"
    plan = {"households": [], "mechanisms": ["revenue_share"], "revenue_share_rate": "0"}
    r = await list_product(http, scene, 422, plan=plan)
    assert r.json()["errors"][0]["field"] == "plan.revenue_share_rate"
    for hostile in ("NaN", "-Infinity", "0.00001", "", "1e-999"):  # refused by the schema, before the rules
        plan = {"households": [], "mechanisms": ["revenue_share"], "revenue_share_rate": hostile}
        r = await list_product(http, scene, 400, plan=plan)
        assert r.json()["errors"][0]["field"] == "plan.revenue_share_rate", hostile
    r = await list_product(http, scene, 422, category="jewellery")
    assert r.json()["errors"][0]["field"] == "category"

    # a 脱贫县 registered on the platform, and households not registered anywhere (the flags name those)
    other_county = f"{county_code[:4]}99"
    services.registry.register_county(other_county, "某脱贫县", "测试省", "test")
    r = await list_product(http, scene, origin_county=other_county, origin_village=f"{other_county}200002")
    view = await product(http, scene, r.json()["product_id"])
    assert (view["origin_county"], view["county"], view["seller"]) == (other_county, county_code, scene.org)
    assert view["plan"]["households"][1] == {"household_number": "H002", "weight": 2}
    assert view["plan"]["revenue_share_rate"] == "0.10" and view["certification"] is None
    assert view["listed_on"] == day(0) and view["seller_certified_today"] is True


async def test_price_stock_plan_and_delisting_are_recorded_with_their_reasons(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await certified_seller(http, services, county_code)
    pid = (await list_product(http, scene)).json()["product_id"]
    base = f"{scene.home}/products/{pid}"
    assert (await http.post(f"{base}/price", headers=scene.seller,
                            json={"price_fen": 12000, "reason": "春茶上市"})).status_code == 201
    assert (await http.post(f"{base}/stock", headers=scene.seller,
                            json={"delta": -30, "reason": "盘点损耗"})).status_code == 201
    r = await http.post(f"{base}/stock", headers=scene.seller, json={"delta": -71, "reason": "盘点"})
    assert r.status_code == 409 and "below zero" in r.json()["detail"]
    r = await http.post(f"{base}/plan", headers=scene.seller, json={
        "plan": {"households": [{"household_number": "H003", "weight": 1}], "mechanisms": ["procurement"],
                 "revenue_share_rate": "0"}, "effective_month": "2026-13", "reason": "调整"})
    assert r.status_code == 400
    r = await http.post(f"{base}/plan", headers=scene.seller, json={
        "plan": {"households": [{"household_number": "H003", "weight": 1}], "mechanisms": ["procurement"],
                 "revenue_share_rate": "0"}, "effective_month": day(0)[:7], "reason": "改为订单收购"})
    assert r.status_code == 201, r.text
    view = await product(http, scene, pid)
    assert (view["price_fen"], view["stock"]) == (12000, 70)
    assert view["plan"] == {"households": [{"household_number": "H003", "weight": 1}],
                            "mechanisms": ["procurement"], "revenue_share_rate": "0"}
    assert (await http.post(f"{base}/delisting", headers=scene.seller, json={"reason": "停产"})).status_code == 201
    assert (await product(http, scene, pid))["delisted_on"] == day(0)
    r = await http.post(f"{base}/price", headers=scene.seller, json={"price_fen": 9000, "reason": "促销"})
    assert r.status_code == 409
    await apply_product(http, scene, pid, day(0), 409)


async def test_product_certification_needs_a_declared_linkage_and_a_certified_seller(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    unlinked = await certified_seller(http, services, county_code, linkage=False)
    pid = (await list_product(http, unlinked)).json()["product_id"]
    r = await apply_product(http, unlinked, pid, day(0), 409)
    assert "benefit linkage" in r.json()["detail"]
    await http.post(f"{unlinked.home}/seller/linkage", headers=unlinked.seller, json={
        "mechanisms": ["procurement"], "description": "订单收购脱贫户鲜叶", "declared_on": day(0)})
    await apply_product(http, unlinked, pid, day(0))

    scene = await seller_scene(http, services, county_code, official=unlinked.official)
    seller_cid = await certify_seller(http, scene, start=-40)
    pid = (await list_product(http, scene)).json()["product_id"]
    cid = (await apply_product(http, scene, pid, day(-12))).json()["certification_id"]
    await reference_price(http, scene, 10000, "2024-01-01")
    await step(http, scene, cid, "county-review", reviewed_on=day(-11), approved=True, opinion="同意")
    await step(http, scene, cid, "notice", published_on=day(-10))
    # the seller is suspended before the product's certificate: no certificate, and no new application either
    await step(http, scene, seller_cid, "suspension", suspended_on=day(-1), reason="抽检不合格")
    r = await step(http, scene, cid, "certificate", 409, certificate_number=f"P-{pid[:8]}", certified_on=day(0))
    assert "certified seller" in r.json()["detail"]
    assert "certified seller" in (await list_product(http, scene, 409)).json()["detail"]
    assert "certified seller" in (await apply_product(http, scene, pid, day(0), 409)).json()["detail"]
    await step(http, scene, seller_cid, "reinstatement", reinstated_on=day(0), reason="复检合格")
    await step(http, scene, cid, "certificate", certificate_number=f"P-{pid[:8]}", certified_on=day(0))
    view = await product(http, scene, pid)
    cert = view["certification"]
    assert (cert["status"], cert["certificate_number"], cert["valid_from"]) == ("certified", f"P-{pid[:8]}", day(0))
    assert cert["valid_to"] == (add_months(date.fromisoformat(day(0)), 12) - timedelta(days=1)).isoformat()
    await step(http, scene, cid, "renewal", reviewed_on=day(0), opinion="年度复核合格")
    assert (await certification(http, scene, cid))["valid_to"] == (
        add_months(date.fromisoformat(day(0)), 24) - timedelta(days=1)).isoformat()


async def test_a_price_outside_the_band_needs_the_officials_acknowledgement_which_is_shown(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await certified_seller(http, services, county_code)
    await reference_price(http, scene, 9000, "2024-01-01")
    await reference_price(http, scene, 10000, day(-10))  # the one in force on the review
    await reference_price(http, scene, 20000, day(0), specification="500g")

    pid = (await list_product(http, scene, price_fen=12500)).json()["product_id"]  # +25 % > ±20 %
    cid = (await apply_product(http, scene, pid, day(-3))).json()["certification_id"]
    review = {"reviewed_on": day(-2), "approved": True, "opinion": "同意"}
    r = await step(http, scene, cid, "county-review", 422, **review)
    assert r.json()["errors"][0]["field"] == "price_acknowledged"
    assert "12500" in r.json()["detail"] and "10000" in r.json()["detail"]
    await step(http, scene, cid, "county-review", **review, price_acknowledged=True,
               price_note="高山有机茶，成本高于平原茶")
    detail = await certification(http, scene, cid)
    assert detail["price_check"] == {"price_fen": 12500, "reference_price_fen": 10000, "band": "0.20",
                                     "deviation": "0.2500", "outside_band": True, "acknowledged": True,
                                     "note": "高山有机茶，成本高于平原茶"}
    assert detail["product_name"] == "高山绿茶" and detail["subject"] == "product"
    assert (await product(http, scene, pid))["certification"]["price_check"]["acknowledged"] is True

    # within the band no acknowledgement is needed; without any reference price it is
    inside = (await list_product(http, scene, price_fen=11900)).json()["product_id"]
    cid2 = (await apply_product(http, scene, inside, day(-3))).json()["certification_id"]
    await step(http, scene, cid2, "county-review", **review)
    check = (await certification(http, scene, cid2))["price_check"]
    assert (check["outside_band"], check["deviation"], check["acknowledged"]) == (False, "0.1900", False)
    unknown = (await list_product(http, scene, specification="1kg")).json()["product_id"]
    cid3 = (await apply_product(http, scene, unknown, day(-3))).json()["certification_id"]
    r = await step(http, scene, cid3, "county-review", 422, **review)
    assert r.json()["errors"][0]["field"] == "price_acknowledged" and "no reference price" in r.json()["detail"]
    await step(http, scene, cid3, "county-review", **review, price_acknowledged=True, price_note="新规格")
    check = (await certification(http, scene, cid3))["price_check"]
    assert (check["reference_price_fen"], check["acknowledged"]) == (None, True)

    r = await http.get(f"/counties/{scene.county}/reference-prices", headers=scene.official, params={"limit": 2})
    assert r.status_code == 200, r.text
    first = r.json()
    assert [(p["specification"], p["effective_from"]) for p in first["items"]] == [
        ("250g", "2024-01-01"), ("250g", day(-10))]
    r = await http.get(f"/counties/{scene.county}/reference-prices", headers=scene.official,
                       params={"limit": 2, "after": first["next_after"]})
    assert [(p["specification"], p["price_fen"]) for p in r.json()["items"]] == [("500g", 20000)]
    assert r.json()["next_after"] is None


async def test_another_sellers_product_is_not_found_and_other_roles_are_refused(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await certified_seller(http, services, county_code)
    pid = (await list_product(http, scene)).json()["product_id"]
    other = await certified_seller(http, services, county_code, official=scene.official)
    r = await http.get(f"{other.home}/products/{pid}", headers=other.seller)
    assert r.status_code == 404
    r = await http.post(f"{other.home}/products/{pid}/price", headers=other.seller,
                        json={"price_fen": 1, "reason": "x"})
    assert r.status_code == 404
    r = await http.get(f"{scene.home}/products/{pid}", headers=other.seller)
    assert r.status_code == 403
    r = await http.post(f"{scene.home}/products", headers=scene.official, json=listing(county_code))
    assert r.status_code == 403
    assert (await product(http, scene, pid, headers=scene.official))["product_id"] == pid
    r = await http.post(f"/counties/{county_code}/reference-prices", headers=scene.seller, json={
        "category": "tea", "specification": "250g", "unit": "罐", "price_fen": 1, "effective_from": "2024-01-01",
        "source": "x"})
    assert r.status_code == 403
    r = await http.post(f"{scene.home}/seller/application", headers=scene.seller, json={"applied_on": day(0)})
    assert r.status_code == 409  # certified already: a new application waits for a refusal, revocation or expiry
