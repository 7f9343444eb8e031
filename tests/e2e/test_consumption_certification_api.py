"""Seller certification through HTTP: linkage first, township review where the county asks for one, a public
notice that cannot be backdated, objections that must be resolved, a certificate that stops counting from its
suspension or revocation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from tests.conftest import bearer, official_token
from tests.consumption_given import credit_code
from xiaofei.bootstrap import Services
from xiaofei.domain.clock import business_today
from xiaofei.domain.consumption.certification import add_months
from xiaofei.domain.errors import AlreadyExists


@pytest.fixture(autouse=True)
def real_certification_clock(services: Services) -> Iterator[None]:
    before = services.certification.clock
    yield
    services.certification.clock = before


def days_pass(services: Services, days: int) -> None:
    before = services.certification.clock
    services.certification.clock = lambda: before() + timedelta(days=days)


async def _seller(http: httpx.AsyncClient, services: Services, county: str) -> tuple[str, dict[str, str],
                                                                                    dict[str, str]]:
    official = bearer(official_token(services, county))
    code = credit_code(county)
    r = await http.post(f"/counties/{county}/organisations", headers=official, json={
        "credit_code": code, "name": "测试茶叶专业合作社", "form": "cooperative", "address": "测试镇"})
    assert r.status_code == 201, r.text
    seller = bearer(services.access.issue("seller", [], code, "seller", "test").secret)
    return code, official, seller


async def test_a_seller_is_certified_only_after_linkage_review_notice_and_resolved_objections(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    code, official, seller = await _seller(http, services, county_code)
    r = await http.post(f"/organisations/{code}/seller/application", headers=seller, json={})
    assert r.status_code == 409 and "linkage" in r.json()["detail"], r.text
    r = await http.post(f"/organisations/{code}/seller/linkage", headers=seller, json={
        "mechanisms": ["procurement", "revenue_share"], "description": "收购茶青并按销售额分红"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/organisations/{code}/seller/application", headers=seller, json={})
    assert r.status_code == 201, r.text
    cert = f"/counties/{county_code}/certifications/{r.json()['certification_id']}"
    today = business_today(services.certification.clock)

    r = await http.post(f"{cert}/notice", headers=official, json={})
    assert r.status_code == 409, r.text  # no notice before the county's review
    r = await http.post(f"{cert}/county-review", headers=official, json={"approved": True, "opinion": "同意"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{cert}/notice", headers=official,
                        json={"published_on": (today - timedelta(days=30)).isoformat()})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "published_on", r.text
    r = await http.post(f"{cert}/notice", headers=official,
                        json={"published_on": (today + timedelta(days=1)).isoformat()})
    assert r.status_code == 422, r.text
    assert (await http.post(f"{cert}/notice", headers=official, json={})).status_code == 201
    r = await http.post(f"{cert}/certificate", headers=official, json={"certificate_number": "S-001"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "certified_on", r.text  # notice still runs
    r = await http.post(f"{cert}/objections", headers=official, json={"text": "未实际带动农户"})
    assert r.status_code == 201 and r.json()["number"] == 1, r.text

    days_pass(services, 7)
    r = await http.post(f"{cert}/certificate", headers=official, json={"certificate_number": "S-001"})
    assert r.status_code == 409 and "objection" in r.json()["detail"], r.text
    r = await http.post(f"{cert}/objections/1/resolution", headers=official,
                        json={"outcome": "dismissed", "reason": "核实收购台账，带动属实"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{cert}/certificate", headers=official, json={"certificate_number": "S-001"})
    assert r.status_code == 201, r.text

    view = (await http.get(f"/organisations/{code}/seller", headers=seller)).json()
    certified_on = today + timedelta(days=7)
    assert view["certification"]["status"] == "certified"
    assert view["certification"]["valid_from"] == certified_on.isoformat()
    assert view["certification"]["valid_to"] == add_months(certified_on, 12).isoformat()
    assert view["certification"]["objections"][0]["outcome"] == "dismissed"
    assert view["linkage"]["mechanisms"] == ["procurement", "revenue_share"]

    r = await http.post(f"{cert}/renewal", headers=official, json={"opinion": "年度复核通过"})
    assert r.status_code == 201, r.text
    renewed = (await http.get(cert, headers=official)).json()
    assert renewed["valid_to"] == add_months(certified_on, 24).isoformat()

    # suspended from a date: the period ends the day before; reinstated: a new period; revoked: ended again
    assert (await http.post(f"{cert}/suspension", headers=official, json={"reason": "抽检不合格"})).status_code == 201
    assert (await http.post(f"{cert}/reinstatement", headers=official, json={"reason": "复检合格"})).status_code == 201
    assert (await http.post(f"{cert}/revocation", headers=official, json={"reason": "弄虚作假"})).status_code == 201
    detail = (await http.get(cert, headers=official)).json()
    assert detail["status"] == "revoked"
    assert [p["valid_to"] for p in detail["periods"]] == [(certified_on - timedelta(days=1)).isoformat()] * 2
    r = await http.post(f"{cert}/suspension", headers=official, json={"reason": "again"})
    assert r.status_code == 409, r.text


async def test_where_the_county_asks_for_it_the_township_reviews_first_and_an_upheld_objection_refuses(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    code, official, seller = await _seller(http, services, county_code)
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=official, json={
        "name": "certification.township_review", "value": "1", "effective_from": "2020-01-01",
        "source": "县乡村振兴局关于扶贫产品认定程序的通知", "era": "transition"})
    assert r.status_code == 201, r.text
    await http.post(f"/organisations/{code}/seller/linkage", headers=seller,
                    json={"mechanisms": ["procurement"], "description": "订单收购"})
    r = await http.post(f"/organisations/{code}/seller/application", headers=seller, json={})
    cert = f"/counties/{county_code}/certifications/{r.json()['certification_id']}"
    r = await http.post(f"{cert}/county-review", headers=official, json={"approved": True})
    assert r.status_code == 409 and "township_review" in r.json()["detail"], r.text
    r = await http.post(f"{cert}/township-review", headers=official, json={"approved": True, "opinion": ""})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "opinion", r.text
    assert (await http.post(f"{cert}/township-review", headers=official,
                            json={"approved": True, "opinion": "材料齐全"})).status_code == 201
    assert (await http.post(f"{cert}/county-review", headers=official, json={"approved": True})).status_code == 201
    assert (await http.post(f"{cert}/notice", headers=official, json={})).status_code == 201
    await http.post(f"{cert}/objections", headers=official, json={"text": "冒用合作社名义"})
    r = await http.post(f"{cert}/objections/1/resolution", headers=official,
                        json={"outcome": "upheld", "reason": "核查属实"})
    assert r.status_code == 201, r.text
    assert (await http.get(cert, headers=official)).json()["status"] == "refused"
    r = await http.post(f"/organisations/{code}/seller/application", headers=seller, json={})
    assert r.status_code == 201, r.text
    assert (await http.get(cert, headers=official)).json()["status"] == "township_review"


async def test_another_countys_official_and_another_seller_cannot_touch_the_certification(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    code, official, seller = await _seller(http, services, county_code)
    await http.post(f"/organisations/{code}/seller/linkage", headers=seller,
                    json={"mechanisms": ["procurement"], "description": "订单收购"})
    r = await http.post(f"/organisations/{code}/seller/application", headers=seller, json={})
    cert_id = r.json()["certification_id"]
    try:
        services.registry.register_county("360798", "另一县", "测试省", "test")
    except AlreadyExists:
        pass
    stranger = bearer(official_token(services, "360798"))
    r = await http.post(f"/counties/{county_code}/certifications/{cert_id}/county-review", headers=stranger,
                        json={"approved": True})
    assert r.status_code == 403, r.text
    r = await http.get(f"/counties/360798/certifications/{cert_id}", headers=stranger)
    assert r.status_code == 404, r.text
    other, _, _ = await _seller(http, services, county_code)
    r = await http.post(f"/organisations/{other}/seller/application", headers=seller, json={})
    assert r.status_code == 403, r.text
    r = await http.post(f"/counties/{county_code}/certifications/{cert_id}/county-review", headers=seller,
                        json={"approved": True})
    assert r.status_code == 403, r.text
