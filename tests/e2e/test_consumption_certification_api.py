"""Seller certification (认定) through HTTP: apply → township review where the county has it → county review →
public notice (公示) that cannot be backdated → objections upheld or dismissed → certificate with validity →
annual review, suspension, reinstatement, revocation, each with its reason and date."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from tests.conftest import bearer, official_token
from xiaofei.domain.codes import uscc_check_char
from tests.e2e.test_claims_api import shanghai_today
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.certification import add_months

SOURCE = "县消费帮扶工作领导小组关于扶贫产品认定工作的通知"
_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(county: str, prefix: str = "93") -> str:
    """A fresh GB 32100 code issued in ``county`` (93 a cooperative, 11 a government unit, 91 an enterprise)."""
    body = prefix + county + "".join(secrets.choice(_CHARS) for _ in range(9))
    return body + uscc_check_char(body)


def day(offset: int) -> str:
    """Today in Asia/Shanghai plus ``offset`` days."""
    return (date.fromisoformat(shanghai_today()) + timedelta(days=offset)).isoformat()


@dataclass
class SellerScene:
    county: str
    org: str
    official: dict[str, str]
    seller: dict[str, str]
    services: Services

    @property
    def home(self) -> str:
        return f"/organisations/{self.org}"

    def cert(self, certification_id: str) -> str:
        return f"/counties/{self.county}/certifications/{certification_id}"


async def seller_scene(http: httpx.AsyncClient, services: Services, county: str, *, linkage: bool = True,
                       form: str = "cooperative", official: dict[str, str] | None = None) -> SellerScene:
    official = official or bearer(official_token(services, county))
    org = credit_code(county)
    r = await http.post(f"/counties/{county}/organisations", headers=official,
                        json={"credit_code": org, "name": "某某县茶叶专业合作社", "form": form, "address": "茶山村"})
    assert r.status_code == 201, r.text
    seller = bearer(services.access.issue("seller", [], org, "seller", "test").secret)
    scene = SellerScene(county, org, official, seller, services)
    if linkage:
        r = await http.post(f"{scene.home}/seller/linkage", headers=seller, json={
            "mechanisms": ["procurement", "revenue_share"], "description": "保底价收购脱贫户茶青，销售额10%分红",
            "declared_on": day(-30)})
        assert r.status_code == 201, r.text
    return scene


async def apply(http: httpx.AsyncClient, scene: SellerScene, applied_on: str) -> str:
    r = await http.post(f"{scene.home}/seller/application", headers=scene.seller, json={"applied_on": applied_on})
    assert r.status_code == 201, r.text
    return str(r.json()["certification_id"])


async def step(http: httpx.AsyncClient, scene: SellerScene, certification_id: str, name: str,
               expect: int = 201, **body: Any) -> httpx.Response:
    r = await http.post(f"{scene.cert(certification_id)}/{name}", headers=scene.official, json=body)
    assert r.status_code == expect, r.text
    return r


async def certification(http: httpx.AsyncClient, scene: SellerScene, certification_id: str) -> dict[str, Any]:
    r = await http.get(scene.cert(certification_id), headers=scene.official)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def certify_seller(http: httpx.AsyncClient, scene: SellerScene, *, start: int = -20,
                         number: str | None = None) -> str:
    """The whole workflow, ``start`` days ago: reviewed and noticed a day later, certified the day after the 7-day
    notice has run (its first day is not counted: published on D, it runs through D+7)."""
    cid = await apply(http, scene, day(start))
    await step(http, scene, cid, "county-review", reviewed_on=day(start + 1), approved=True, opinion="符合认定条件")
    await step(http, scene, cid, "notice", published_on=day(start + 1))
    await step(http, scene, cid, "certificate", certificate_number=number or f"S-{scene.org[-8:]}",
               certified_on=day(start + 9))
    return cid


async def township_review_on(http: httpx.AsyncClient, scene: SellerScene) -> None:
    r = await http.post(f"/counties/{scene.county}/policy/parameters", headers=scene.official, json={
        "name": "certification.township_review", "value": "1", "effective_from": "2021-01-01", "source": SOURCE,
        "era": "transition"})
    assert r.status_code == 201, r.text


async def test_a_seller_is_certified_through_county_review_notice_and_certificate(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await seller_scene(http, services, county_code)
    cid = await apply(http, scene, day(-20))
    r = await http.get(f"{scene.home}/seller", headers=scene.seller)
    assert r.status_code == 200, r.text
    profile = r.json()
    assert profile["linkage"]["mechanisms"] == ["procurement", "revenue_share"]
    assert (profile["certification"]["status"], profile["certification"]["township_review"]) == ("applied", False)

    # the township review is not this county's step
    await step(http, scene, cid, "township-review", 409, reviewed_on=day(-19), approved=True, opinion="同意")
    await step(http, scene, cid, "county-review", reviewed_on=day(-19), approved=True, opinion="符合认定条件")
    await step(http, scene, cid, "notice", published_on=day(-19))
    r = await step(http, scene, cid, "certificate", 422, certificate_number="GX-2026-001", certified_on=day(-12))
    assert f"the earliest is {day(-11)}" in r.json()["detail"]  # published D, the notice runs through D+7
    await step(http, scene, cid, "certificate", certificate_number="GX-2026-001", certified_on=day(-11))

    r = await http.get(f"{scene.home}/seller", headers=scene.seller)
    cert = r.json()["certification"]
    assert (cert["status"], cert["valid_today"], cert["certificate_number"]) == ("certified", True, "GX-2026-001")
    assert (cert["notice_ends"], cert["valid_from"]) == (day(-12), day(-11))
    detail = await certification(http, scene, cid)
    assert detail["organisation_name"] == "某某县茶叶专业合作社"
    assert [s["step"] for s in detail["steps"]] == ["applied", "county_reviewed", "notice_published", "certified"]
    assert detail["steps"][1]["details"]["opinion"] == "符合认定条件" and detail["steps"][1]["on"] == day(-19)
    # the same certificate again is no conflict
    await step(http, scene, cid, "certificate", certificate_number="GX-2026-001", certified_on=day(-11))


async def test_with_the_township_review_on_the_township_reviews_first(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await seller_scene(http, services, county_code)
    await township_review_on(http, scene)
    cid = await apply(http, scene, day(-20))
    assert (await certification(http, scene, cid))["status"] == "township_review"
    await step(http, scene, cid, "county-review", 409, reviewed_on=day(-19), approved=True, opinion="同意")
    r = await step(http, scene, cid, "township-review", 422, reviewed_on=day(-19), approved=True, opinion="  ")
    assert r.json()["errors"][0]["field"] == "opinion"
    r = await step(http, scene, cid, "township-review", 422, reviewed_on=day(-21), approved=True, opinion="同意")
    assert r.json()["errors"][0]["field"] == "reviewed_on"
    await step(http, scene, cid, "township-review", reviewed_on=day(-19), approved=True, opinion="镇办初审同意")
    assert (await certification(http, scene, cid))["status"] == "applied"
    await step(http, scene, cid, "county-review", reviewed_on=day(-18), approved=True, opinion="同意")
    await step(http, scene, cid, "notice", published_on=day(-18))
    await step(http, scene, cid, "certificate", certificate_number=f"T-{scene.org[-6:]}", certified_on=day(-10))
    detail = await certification(http, scene, cid)
    assert detail["status"] == "certified"
    assert [s["step"] for s in detail["steps"]] == [
        "applied", "township_reviewed", "county_reviewed", "notice_published", "certified"]

    # a township refusal: the seller may apply again (and goes to the township again)
    other = await seller_scene(http, services, county_code, official=scene.official)
    cid2 = await apply(http, other, day(-5))
    await step(http, other, cid2, "township-review", reviewed_on=day(-4), approved=False, opinion="带贫机制不明确")
    assert (await certification(http, other, cid2))["status"] == "refused"
    assert await apply(http, other, day(-1)) == cid2
    assert (await certification(http, other, cid2))["status"] == "township_review"


async def test_a_notice_cannot_be_backdated_before_the_county_review_nor_dated_in_the_future(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await seller_scene(http, services, county_code)
    cid = await apply(http, scene, day(-10))
    await step(http, scene, cid, "notice", 409, published_on=day(-5))  # no county review yet
    r = await step(http, scene, cid, "county-review", 422, reviewed_on=day(1), approved=True, opinion="同意")
    assert r.json()["errors"][0]["field"] == "reviewed_on" and "future" in r.json()["detail"]
    await step(http, scene, cid, "county-review", reviewed_on=day(-5), approved=True, opinion="同意")
    r = await step(http, scene, cid, "notice", 422, published_on=day(-6))
    assert r.json()["errors"][0]["field"] == "published_on"
    assert f"before the county review on {day(-5)}" in r.json()["detail"]
    r = await step(http, scene, cid, "notice", 422, published_on=day(1))
    assert r.json()["errors"][0]["field"] == "published_on" and "future" in r.json()["detail"]
    await step(http, scene, cid, "notice", published_on=day(-5))
    assert (await certification(http, scene, cid))["notice_ends"] == day(2)


async def test_the_certificate_waits_for_the_notice_to_run_and_for_every_objection(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await seller_scene(http, services, county_code)
    cid = await apply(http, scene, day(-6))
    await step(http, scene, cid, "county-review", reviewed_on=day(-5), approved=True, opinion="同意")
    await step(http, scene, cid, "notice", published_on=day(-3))
    r = await step(http, scene, cid, "certificate", 422, certificate_number="C-1", certified_on=day(0))
    assert r.json()["errors"][0]["field"] == "certified_on" and f"runs through {day(4)}" in r.json()["detail"]

    # an objection upheld refuses the application; the seller applies again
    r = await step(http, scene, cid, "objections", text="该社未实际收购脱贫户农产品", lodged_on=day(-2))
    assert r.json()["number"] == 1
    r = await step(http, scene, cid, "objections/1/resolution", 422, outcome="upheld", reason="核实属实",
                   resolved_on=day(-3))
    assert r.json()["errors"][0]["field"] == "resolved_on"
    await step(http, scene, cid, "objections/1/resolution", outcome="upheld", reason="经核实属实", resolved_on=day(-1))
    detail = await certification(http, scene, cid)
    assert detail["status"] == "refused"
    assert detail["steps"][-1]["details"]["outcome"] == "upheld"
    await step(http, scene, cid, "certificate", 409, certificate_number="C-1", certified_on=day(0))
    assert await apply(http, scene, day(0)) == cid
    detail = await certification(http, scene, cid)
    assert (detail["status"], detail["applied_on"], detail["objections"]) == ("applied", day(0), [])

    # the notice has run, but an objection is open: 409 until it is dismissed
    other = await seller_scene(http, services, county_code, official=scene.official)
    cid2 = await apply(http, other, day(-12))
    await step(http, other, cid2, "county-review", reviewed_on=day(-11), approved=True, opinion="同意")
    await step(http, other, cid2, "notice", published_on=day(-10))
    await step(http, other, cid2, "objections", text="最后一天", lodged_on=day(-3))  # its last day (D+7) takes one
    await step(http, other, cid2, "objections/1/resolution", outcome="dismissed", reason="经核实无误",
               resolved_on=day(-3))
    await step(http, other, cid2, "objections", 422, text="公示期后", lodged_on=day(-2))  # the notice ended day -3
    await step(http, other, cid2, "objections", text="价格虚高", lodged_on=day(-9))
    r = await step(http, other, cid2, "certificate", 409, certificate_number=f"C-{other.org[-6:]}",
                   certified_on=day(0))
    assert "#2" in r.json()["detail"]
    await step(http, other, cid2, "objections/2/resolution", outcome="dismissed", reason="经核实价格合理",
               resolved_on=day(-8))
    await step(http, other, cid2, "objections/2/resolution", 409, outcome="dismissed", reason="再次",
               resolved_on=day(-8))
    await step(http, other, cid2, "certificate", certificate_number=f"C-{other.org[-6:]}", certified_on=day(0))
    detail = await certification(http, other, cid2)
    assert detail["status"] == "certified"
    assert detail["objections"][1]["outcome"] == "dismissed" and detail["objections"][1]["reason"] == "经核实价格合理"


async def test_suspension_reinstatement_and_revocation_each_with_reason_and_date(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await seller_scene(http, services, county_code)
    cid = await certify_seller(http, scene, start=-30)  # certified on day -21
    r = await step(http, scene, cid, "suspension", 422, suspended_on=day(-10), reason="   ")
    assert r.json()["errors"][0]["field"] == "reason"
    await step(http, scene, cid, "suspension", 400, suspended_on=day(-10))  # no reason at all
    r = await step(http, scene, cid, "suspension", 422, suspended_on=day(1), reason="抽检不合格")
    assert r.json()["errors"][0]["field"] == "suspended_on"
    r = await step(http, scene, cid, "suspension", 422, suspended_on=day(-22), reason="抽检不合格")
    assert r.json()["errors"][0]["field"] == "suspended_on"
    await step(http, scene, cid, "reinstatement", 409, reinstated_on=day(-5), reason="整改到位")
    await step(http, scene, cid, "suspension", suspended_on=day(-10), reason="产品抽检不合格")
    detail = await certification(http, scene, cid)
    assert (detail["status"], detail["valid_today"]) == ("suspended", False)
    assert detail["periods"][0]["from"] == day(-21) and detail["periods"][0]["to"] == day(-11)

    r = await step(http, scene, cid, "reinstatement", 422, reinstated_on=day(-11), reason="整改到位")
    assert r.json()["errors"][0]["field"] == "reinstated_on"
    await step(http, scene, cid, "reinstatement", reinstated_on=day(-5), reason="复检合格，整改到位")
    detail = await certification(http, scene, cid)
    assert (detail["status"], detail["valid_today"]) == ("certified", True)
    assert detail["periods"][1]["from"] == day(-5) and detail["periods"][1]["to"] == detail["valid_to"]

    await step(http, scene, cid, "revocation", revoked_on=day(0), reason="弄虚作假骗取认定")
    detail = await certification(http, scene, cid)
    assert (detail["status"], detail["valid_today"]) == ("revoked", False)
    assert detail["periods"][1]["to"] == day(-1)
    assert [s["details"].get("reason") for s in detail["steps"][-3:]] == [
        "产品抽检不合格", "复检合格，整改到位", "弄虚作假骗取认定"]
    await step(http, scene, cid, "suspension", 409, suspended_on=day(0), reason="再次")
    assert await apply(http, scene, day(0)) == cid  # a revoked seller may apply again


async def test_validity_is_12_months_by_default_and_the_annual_review_extends_it(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await seller_scene(http, services, county_code)
    cid = await certify_seller(http, scene, start=-20)
    certified_on = date.fromisoformat(day(-11))
    detail = await certification(http, scene, cid)
    # 12 months that count the day of issue: through the day before the anniversary, not a day more
    assert detail["valid_to"] == (add_months(certified_on, 12) - timedelta(days=1)).isoformat()
    r = await step(http, scene, cid, "renewal", 422, reviewed_on=day(-12), opinion="年度复核合格")
    assert r.json()["errors"][0]["field"] == "reviewed_on"
    await step(http, scene, cid, "renewal", reviewed_on=day(0), opinion="年度复核合格")
    detail = await certification(http, scene, cid)
    assert detail["valid_to"] == (add_months(certified_on, 24) - timedelta(days=1)).isoformat()
    assert detail["periods"] == [{"from": day(-11), "to": detail["valid_to"], "certificate": f"S-{scene.org[-8:]}"}]


async def test_a_certificate_number_is_taken_once_in_a_county(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    first = await seller_scene(http, services, county_code)
    await certify_seller(http, first, number="DUP-1")
    second = await seller_scene(http, services, county_code, official=first.official)
    cid = await apply(http, second, day(-20))
    await step(http, second, cid, "county-review", reviewed_on=day(-19), approved=True, opinion="同意")
    await step(http, second, cid, "notice", published_on=day(-18))
    r = await step(http, second, cid, "certificate", 409, certificate_number="DUP-1", certified_on=day(-10))
    assert "already taken" in r.json()["detail"]
    assert (await certification(http, second, cid))["status"] == "in_notice"


async def test_only_the_seller_itself_applies_and_never_for_a_future_date(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    scene = await seller_scene(http, services, county_code, official=official)
    r = await http.post(f"{scene.home}/seller/application", headers=scene.seller, json={"applied_on": day(1)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "applied_on"
    other = await seller_scene(http, services, county_code, official=official)
    r = await http.post(f"{scene.home}/seller/application", headers=other.seller, json={"applied_on": day(0)})
    assert r.status_code == 403
    r = await http.get(f"{scene.home}/seller", headers=other.seller)
    assert r.status_code == 403


async def test_wrong_role_other_county_and_other_organisation_are_refused(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    scene = await seller_scene(http, services, county_code)
    cid = await apply(http, scene, day(-3))
    review = {"reviewed_on": day(-2), "approved": True, "opinion": "同意"}
    r = await http.post(f"{scene.cert(cid)}/county-review", headers=scene.seller, json=review)
    assert r.status_code == 403
    auditor = bearer(services.access.issue("auditor", [county_code], None, "auditor", "test").secret)
    r = await http.post(f"{scene.cert(cid)}/county-review", headers=auditor, json=review)
    assert r.status_code == 403
    assert (await http.get(scene.cert(cid), headers=auditor)).status_code == 200
    assert (await http.get(f"{scene.home}/seller", headers=auditor)).status_code == 200
    r = await http.post(f"{scene.home}/seller/application", headers=scene.official, json={"applied_on": day(0)})
    assert r.status_code == 403  # the seller applies, not the official

    elsewhere = bearer(official_token(services, "360799"))
    r = await http.post(f"{scene.cert(cid)}/county-review", headers=elsewhere, json=review)
    assert r.status_code == 403
    assert (await http.get(f"{scene.home}/seller", headers=elsewhere)).status_code == 403
    # an official of another county, asking under its own county, is told there is no such certification
    r = await http.get(f"/counties/360799/certifications/{cid}", headers=elsewhere)
    assert r.status_code == 404
    r = await http.post(f"/counties/360799/certifications/{cid}/county-review", headers=elsewhere, json=review)
    assert r.status_code == 404


async def test_a_step_dated_at_the_calendars_edge_is_a_422_naming_the_date_and_nothing_is_written(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """certified_on 9999-12-31 was a 500: the certificate's end date (12 months on) was computed before the date
    was checked."""
    scene = await seller_scene(http, services, county_code)
    cid = await apply(http, scene, day(-20))
    await step(http, scene, cid, "county-review", reviewed_on=day(-19), approved=True, opinion="同意")
    await step(http, scene, cid, "notice", published_on=day(-18))
    before = services.app.head_position()
    # When a step is dated at either end of the calendar (during the notice, then once certified)
    for name, field, extra in [("certificate", "certified_on", {"certificate_number": "EDGE-1"}),
                               ("objections", "lodged_on", {"text": "异议"}),
                               ("certified", "", {}),
                               ("renewal", "reviewed_on", {"opinion": "年度复核"}),
                               ("suspension", "suspended_on", {"reason": "停业"}),
                               ("revocation", "revoked_on", {"reason": "撤销"})]:
        if name == "certified":
            assert services.app.head_position() == before
            await step(http, scene, cid, "certificate", certificate_number=f"E-{scene.org[-8:]}",
                       certified_on=day(-10))
            before = services.app.head_position()
            continue
        for edge in ("9999-12-31", "0001-01-01"):
            r = await step(http, scene, cid, name, 422, **{field: edge, **extra})
            # Then it is refused naming the date, and nothing is written
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["errors"][0]["field"] == field, (name, edge, r.text)
    assert services.app.head_position() == before
