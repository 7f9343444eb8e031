"""Every route, table-driven: unauthenticated → 401, wrong role → 403, wrong county → 403.

A new route without an entry in SAMPLE_PATHS (or without declared roles) fails this suite.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import bearer, official_token
from xiaofei.bootstrap import Services
from xiaofei.domain.access import ROLES
from xiaofei.domain.errors import AlreadyExists
from xiaofei.http.app import create_app

OTHER = "360799"  # a county no test token is scoped to
U = "00000000-0000-0000-0000-000000000001"
HOME_ORG = "91360701MA35HQME0C"  # registered in county 360701 by the fixture
OTHER_ORG = "91360799MA35QTHR0L"  # registered in county 360799
# Path template → concrete path. "{C}" is replaced by the caller's county (or another one).
SAMPLE_PATHS: dict[str, str] = {
    "/health": "/health",
    "/ready": "/ready",
    "/projections": "/projections",
    "/admin/tokens": "/admin/tokens",
    "/admin/tokens/{token_id:uuid}/revoke": "/admin/tokens/00000000-0000-0000-0000-000000000001/revoke",
    "/counties": "/counties",
    "/counties/{county:str}/households": "/counties/{C}/households",
    "/counties/{county:str}/households/{household_number:str}": "/counties/{C}/households/H1",
    "/counties/{county:str}/households/{household_number:str}/events": "/counties/{C}/households/H1/events",
    "/counties/{county:str}/villages/{village_code:str}/households": "/counties/{C}/villages/{C}100001/households",
    "/counties/{county:str}/category-counts": "/counties/{C}/category-counts",
    "/counties/{county:str}/households/{household_number:str}/members": "/counties/{C}/households/H1/members",
    "/counties/{county:str}/households/{household_number:str}/members/{person_number:str}/removal":
        "/counties/{C}/households/H1/members/P1/removal",
    "/counties/{county:str}/households/{household_number:str}/category-changes":
        "/counties/{C}/households/H1/category-changes",
    "/counties/{county:str}/households/{household_number:str}/other-income":
        "/counties/{C}/households/H1/other-income",
    "/counties/{county:str}/households/{household_number:str}/members/{person_number:str}/id-number-reveals":
        "/counties/{C}/households/H1/members/P1/id-number-reveals",
    "/counties/{county:str}/household-imports": "/counties/{C}/household-imports",
    "/counties/{county:str}/households/{household_number:str}/income": "/counties/{C}/households/H1/income?year=2024",
    "/counties/{county:str}/household-incomes": "/counties/{C}/household-incomes?year=2024",
    "/counties/{county:str}/dashboard": "/counties/{C}/dashboard?year=2024",
    "/counties/{county:str}/dashboard/areas": "/counties/{C}/dashboard/areas?year=2024",
    "/counties/{county:str}/areas": "/counties/{C}/areas",
    "/provinces/{province:str}/dashboard": "/provinces/360000/dashboard?year=2024",
    "/national/dashboard": "/national/dashboard?year=2024",
    "/national/totals": "/national/totals?year=2024",
    "/national/flagged-households": "/national/flagged-households?year=2024",
    "/counties/{county:str}/income-summary": "/counties/{C}/income-summary?year=2024",
    "/counties/{county:str}/household-incomes/export": "/counties/{C}/household-incomes/export?year=2024",
    "/counties/{county:str}/dashboard/export": "/counties/{C}/dashboard/export?year=2024",
    "/counties/{county:str}/dashboard/areas/export": "/counties/{C}/dashboard/areas/export?year=2024",
    "/provinces/{province:str}/dashboard/export": "/provinces/360000/dashboard/export?year=2024",
    "/dashboard": "/dashboard",
    "/favicon.ico": "/favicon.ico",
    "/dashboard/assets/{file_path:path}": "/dashboard/assets/dashboard.js",
    "/dashboard/echarts/{file_path:path}": "/dashboard/echarts/echarts.min.js",
    "/policy/presets": "/policy/presets",
    "/counties/{county:str}/policy": "/counties/{C}/policy",
    "/counties/{county:str}/policy/adoptions": "/counties/{C}/policy/adoptions",
    "/counties/{county:str}/policy/parameters": "/counties/{C}/policy/parameters",
    "/policy/scopes/{scope_code:str}/parameters": "/policy/scopes/national/parameters",
    "/counties/{county:str}/organisations": "/counties/{C}/organisations",
    "/counties/{county:str}/workshops/{workshop_id:uuid}/certification": f"/counties/{{C}}/workshops/{U}/certification",
    "/counties/{county:str}/workshops/{workshop_id:uuid}/refusal": f"/counties/{{C}}/workshops/{U}/refusal",
    "/counties/{county:str}/workshops/{workshop_id:uuid}/decertification":
        f"/counties/{{C}}/workshops/{U}/decertification",
    "/counties/{county:str}/workshops/{workshop_id:uuid}/certification-months":
        f"/counties/{{C}}/workshops/{U}/certification-months",
    "/counties/{county:str}/workshops/{workshop_id:uuid}/certifications":
        f"/counties/{{C}}/workshops/{U}/certifications",
    "/counties/{county:str}/workshops/{workshop_id:uuid}/slips/{month:str}/{slip_id:uuid}/verification":
        f"/counties/{{C}}/workshops/{U}/slips/2024-03/{U}/verification",
    "/counties/{county:str}/workshops/{workshop_id:uuid}/slips/{month:str}/{slip_id:uuid}/rejection":
        f"/counties/{{C}}/workshops/{U}/slips/2024-03/{U}/rejection",
    "/counties/{county:str}/entitlements": "/counties/{C}/entitlements",
    "/organisations/{org:str}/workshops": "/organisations/{O}/workshops",
    "/organisations/{org:str}/workshops/{workshop_id:uuid}/workers": f"/organisations/{{O}}/workshops/{U}/workers",
    "/organisations/{org:str}/workshops/{workshop_id:uuid}/workers/{employment_id:uuid}/end":
        f"/organisations/{{O}}/workshops/{U}/workers/{U}/end",
    "/organisations/{org:str}/wage-slips": "/organisations/{O}/wage-slips",
    "/organisations/{org:str}/wage-slips/template.xlsx": "/organisations/{O}/wage-slips/template.xlsx",
    "/organisations/{org:str}/wage-slips/template.csv": "/organisations/{O}/wage-slips/template.csv",
    "/organisations/{org:str}/workshops/{workshop_id:uuid}/costs": f"/organisations/{{O}}/workshops/{U}/costs",
    "/organisations/{org:str}/workshops/{workshop_id:uuid}/trainings":
        f"/organisations/{{O}}/workshops/{U}/trainings",
    "/organisations/{org:str}/workshops/{workshop_id:uuid}/slips/{month:str}/{slip_id:uuid}/void":
        f"/organisations/{{O}}/workshops/{U}/slips/2024-03/{U}/void",
    "/organisations/{org:str}/bank-statements": "/organisations/{O}/bank-statements",
    "/organisations/{org:str}/workshops/{workshop_id:uuid}/certification-months":
        f"/organisations/{{O}}/workshops/{U}/certification-months",
    "/organisations/{org:str}/entitlements": "/organisations/{O}/entitlements",
    "/organisations/{org:str}/unmatched-slips": "/organisations/{O}/unmatched-slips",
    "/organisations/{org:str}/unmatched-statement-lines": "/organisations/{O}/unmatched-statement-lines",
    "/organisations/{org:str}/claims": "/organisations/{O}/claims",
    "/counties/{county:str}/certifications/{certification_id:uuid}": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001",
    "/counties/{county:str}/certifications/{certification_id:uuid}/township-review": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001/township-review",
    "/counties/{county:str}/certifications/{certification_id:uuid}/county-review": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001/county-review",
    "/counties/{county:str}/certifications/{certification_id:uuid}/notice": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001/notice",
    "/counties/{county:str}/certifications/{certification_id:uuid}/objections": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001/objections",
    "/counties/{county:str}/certifications/{certification_id:uuid}/certificate": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001/certificate",
    "/counties/{county:str}/certifications/{certification_id:uuid}/renewal": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001/renewal",
    "/counties/{county:str}/certifications/{certification_id:uuid}/suspension": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001/suspension",
    "/counties/{county:str}/certifications/{certification_id:uuid}/reinstatement": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001/reinstatement",
    "/counties/{county:str}/certifications/{certification_id:uuid}/revocation": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001/revocation",
    "/counties/{county:str}/certifications/{certification_id:uuid}/objections/{number:int}/resolution": "/counties/{C}/certifications/00000000-0000-0000-0000-000000000001/objections/1/resolution",
    "/organisations/{org:str}/seller/linkage": "/organisations/{O}/seller/linkage",
    "/organisations/{org:str}/seller/application": "/organisations/{O}/seller/application",
    "/organisations/{org:str}/seller": "/organisations/{O}/seller",
    "/organisations/{org:str}/products": "/organisations/{O}/products",
    "/organisations/{org:str}/products/{product_id:uuid}": "/organisations/{O}/products/00000000-0000-0000-0000-000000000001",
    "/organisations/{org:str}/products/{product_id:uuid}/price": "/organisations/{O}/products/00000000-0000-0000-0000-000000000001/price",
    "/organisations/{org:str}/products/{product_id:uuid}/stock": "/organisations/{O}/products/00000000-0000-0000-0000-000000000001/stock",
    "/organisations/{org:str}/products/{product_id:uuid}/plan": "/organisations/{O}/products/00000000-0000-0000-0000-000000000001/plan",
    "/organisations/{org:str}/products/{product_id:uuid}/delisting": "/organisations/{O}/products/00000000-0000-0000-0000-000000000001/delisting",
    "/organisations/{org:str}/products/{product_id:uuid}/certification-application": "/organisations/{O}/products/00000000-0000-0000-0000-000000000001/certification-application",
    "/organisations/{org:str}/buyer": "/organisations/{O}/buyer",
    "/organisations/{org:str}/reserved-shares": "/organisations/{O}/reserved-shares",
    "/counties/{county:str}/buyers": "/counties/{C}/buyers",
    "/counties/{county:str}/certifications": "/counties/{C}/certifications",
    "/counties/{county:str}/sellers": "/counties/{C}/sellers",
    "/counties/{county:str}/products": "/counties/{C}/products",
    "/counties/{county:str}/sales": "/counties/{C}/sales",
    "/counties/{county:str}/revenue-pools": "/counties/{C}/revenue-pools",
    "/counties/{county:str}/sale-rows": "/counties/{C}/sale-rows",
    "/counties/{county:str}/reserved-share-progress": "/counties/{C}/reserved-share-progress?year=2026",
    "/counties/{county:str}/linkage-obligations": "/counties/{C}/linkage-obligations",
    "/counties/{county:str}/consumption-flags": "/counties/{C}/consumption-flags",
    "/counties/{county:str}/households/{household_number:str}/linkage-income": "/counties/{C}/households/1/linkage-income",
    "/organisations/{org:str}/orders": "/organisations/{O}/orders",
    "/organisations/{org:str}/channel-uploads": "/organisations/{O}/channel-uploads",
    "/organisations/{org:str}/sales": "/organisations/{O}/sales",
    "/organisations/{org:str}/revenue-pools": "/organisations/{O}/revenue-pools",
    "/organisations/{org:str}/obligations": "/organisations/{O}/obligations",
    "/organisations/{org:str}/reserved-share-progress": "/organisations/{O}/reserved-share-progress?year=2026",
    "/catalogue": "/catalogue",
    "/counties/{county:str}/reference-prices": "/counties/{C}/reference-prices",
    "/counties/{county:str}/claims": "/counties/{C}/claims",
    "/counties/{county:str}/claims/{claim_id:uuid}/lines/{line_no:int}/rejection":
        f"/counties/{{C}}/claims/{U}/lines/1/rejection",
    "/counties/{county:str}/claims/{claim_id:uuid}/lines/{line_no:int}/reinstatement":
        f"/counties/{{C}}/claims/{U}/lines/1/reinstatement",
    "/counties/{county:str}/claims/{claim_id:uuid}/notice": f"/counties/{{C}}/claims/{U}/notice",
    "/counties/{county:str}/claims/{claim_id:uuid}/objections": f"/counties/{{C}}/claims/{U}/objections",
    "/counties/{county:str}/claims/{claim_id:uuid}/objections/{number:int}/resolution":
        f"/counties/{{C}}/claims/{U}/objections/1/resolution",
    "/counties/{county:str}/pending-adjustments": "/counties/{C}/pending-adjustments",
    "/counties/{county:str}/adjustment-claims": "/counties/{C}/adjustment-claims",
    "/counties/{county:str}/claims/{claim_id:uuid}/approval": f"/counties/{{C}}/claims/{U}/approval",
    "/counties/{county:str}/claims/{claim_id:uuid}/payment": f"/counties/{{C}}/claims/{U}/payment",
    "/counties/{county:str}/recoveries": "/counties/{C}/recoveries",
    "/counties/{county:str}/flags": "/counties/{C}/flags",
    "/counties/{county:str}/what-if": "/counties/{C}/what-if",
    "/counties/{county:str}/recoveries/settlement": "/counties/{C}/recoveries/settlement",
    "/counties/{county:str}/organisations/{credit_code:str}": "/counties/{C}/organisations/{O}",
    "/counties/{county:str}/workshops": "/counties/{C}/workshops",
    "/counties/{county:str}/workshops/{workshop_id:uuid}": f"/counties/{{C}}/workshops/{U}",
    "/counties/{county:str}/workshops/{workshop_id:uuid}/workers": f"/counties/{{C}}/workshops/{U}/workers",
    "/organisations/{org:str}/workshops/{workshop_id:uuid}": f"/organisations/{{O}}/workshops/{U}",
    "/organisations/{org:str}/slips": "/organisations/{O}/slips",
    "/organisations/{org:str}/slips/{slip_id:uuid}": f"/organisations/{{O}}/slips/{U}",
    "/organisations/{org:str}/uploads": "/organisations/{O}/uploads",
    "/organisations/{org:str}/uploads/{upload_id:uuid}": f"/organisations/{{O}}/uploads/{U}",
    "/organisations/{org:str}/claims/{claim_id:uuid}": f"/organisations/{{O}}/claims/{U}",
    "/counties/{county:str}/claims/{claim_id:uuid}": f"/counties/{{C}}/claims/{U}",
    "/counties/{county:str}/claims/{claim_id:uuid}/review": f"/counties/{{C}}/claims/{U}/review",
    "/organisations/{org:str}/trainings": "/organisations/{O}/trainings",
    "/organisations/{org:str}/bank-statements/{statement_id:uuid}": f"/organisations/{{O}}/bank-statements/{U}",
    "/counties/{county:str}/claims/{claim_id:uuid}/review/completion":
        f"/counties/{{C}}/claims/{U}/review/completion",
    "/organisations/{org:str}/orders/{order_id:uuid}": f"/organisations/{{O}}/orders/{U}",
    "/organisations/{org:str}/orders/{order_id:uuid}/payment": f"/organisations/{{O}}/orders/{U}/payment",
    "/organisations/{org:str}/orders/{order_id:uuid}/shipment": f"/organisations/{{O}}/orders/{U}/shipment",
    "/organisations/{org:str}/orders/{order_id:uuid}/receipt": f"/organisations/{{O}}/orders/{U}/receipt",
    "/organisations/{org:str}/orders/{order_id:uuid}/completion": f"/organisations/{{O}}/orders/{U}/completion",
    "/organisations/{org:str}/orders/{order_id:uuid}/cancellation": f"/organisations/{{O}}/orders/{U}/cancellation",
    "/organisations/{org:str}/orders/{order_id:uuid}/refunds": f"/organisations/{{O}}/orders/{U}/refunds",
    "/counties/{county:str}/orders/{order_id:uuid}": f"/counties/{{C}}/orders/{U}",
    "/organisations/{org:str}/channel-sales": "/organisations/{O}/channel-sales",
    "/organisations/{org:str}/channel-sales/{upload_id:uuid}": f"/organisations/{{O}}/channel-sales/{U}",
    "/counties/{county:str}/channel-sales": "/counties/{C}/channel-sales",
    "/counties/{county:str}/channel-sales/{upload_id:uuid}": f"/counties/{{C}}/channel-sales/{U}",
    "/organisations/{org:str}/linkage-payments": "/organisations/{O}/linkage-payments",
    "/organisations/{org:str}/linkage-payments/{reference:str}": "/organisations/{O}/linkage-payments/SG-1",
}


def _routes(services: Services) -> list[tuple[str, str, frozenset[str] | None, bool]]:
    app = create_app(services)
    out = []
    for route in app.routes:
        if route.path.startswith("/schema"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method in ("HEAD", "OPTIONS"):
                    continue
                out.append((method, route.path, handler.opt.get("roles"), bool(handler.opt.get("exclude_from_auth"))))
    return out


def _url(path: str, county: str, org: str) -> str:
    return SAMPLE_PATHS[path].replace("{C}", county).replace("{O}", org)


@pytest.fixture(scope="module")
def tokens(services: Services) -> dict[str, str]:
    county = "360701"
    for code, org in (("360701", HOME_ORG), ("360799", OTHER_ORG)):
        try:
            services.registry.register_county(code, f"县{code}", "测试省", "test")
        except AlreadyExists:
            pass
        try:
            services.employment.register_organisation(code, org, f"企业{code}", "enterprise", "", "test")
        except AlreadyExists:
            pass
    services.catch_up()
    issued = {
        "admin": services.access.issue("admin", [], None, "matrix", "test").secret,
        "county_official": official_token(services, county),
        "auditor": services.access.issue("auditor", [county], None, "matrix", "test").secret,
        "province_official": services.access.issue("province_official", ["360000"], None, "matrix", "test").secret,
        "national_official": services.access.issue("national_official", [], None, "matrix", "test").secret,
    }
    for role in ("seller", "employer", "buyer"):
        issued[role] = services.access.issue(role, [], HOME_ORG, "matrix", "test").secret
    return issued


def test_every_route_declares_who_may_call_it_and_has_a_sample_path(services: Services) -> None:
    for method, path, allowed, is_public in _routes(services):
        assert is_public or allowed, f"{method} {path} declares no roles"
        assert path in SAMPLE_PATHS, f"{method} {path}: add a sample path to SAMPLE_PATHS"
        if allowed:
            assert set(allowed) <= set(ROLES)


async def test_unauthenticated_calls_get_401(services: Services, http: httpx.AsyncClient) -> None:
    for method, path, _, is_public in _routes(services):
        if is_public:
            continue
        url = _url(path, "360701", HOME_ORG)
        for headers in ({}, bearer("xf_not-a-real-token"), {"Authorization": "Basic abc"}):
            r = await http.request(method, url, headers=headers, json={})
            assert r.status_code == 401, f"{method} {url} with {headers}: {r.status_code}"
            assert r.headers["content-type"].startswith("application/problem+json")


async def test_wrong_role_gets_403(services: Services, http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    checked = 0
    for method, path, allowed, is_public in _routes(services):
        if is_public:
            continue
        url = _url(path, "360701", HOME_ORG)
        for role, token in tokens.items():
            if role in allowed:
                continue
            r = await http.request(method, url, headers=bearer(token), json={})
            assert r.status_code == 403, f"{role} {method} {url}: {r.status_code} {r.text}"
            assert r.json()["status"] == 403
            checked += 1
    assert checked > 30


async def test_wrong_county_gets_403(services: Services, http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
    """Officials and auditors of 360701 touch nothing in 360799: neither its county paths nor its organisations."""
    checked = 0
    for method, path, allowed, _ in _routes(services):
        if "{county" not in path and "{org" not in path:
            continue
        url = _url(path, OTHER, OTHER_ORG)
        for role in ("county_official", "auditor"):
            if role not in allowed:
                continue
            r = await http.request(method, url, headers=bearer(tokens[role]), json={})
            assert r.status_code == 403, f"{role} {method} {url}: {r.status_code} {r.text}"
            assert re.search("outside this token's scope", r.json()["detail"])
            checked += 1
    assert checked >= 10


async def test_wrong_organisation_gets_403(services: Services, http: httpx.AsyncClient,
                                           tokens: dict[str, str]) -> None:
    checked = 0
    for method, path, allowed, _ in _routes(services):
        if "{org" not in path:
            continue
        role = next((r for r in ("employer", "seller", "buyer") if r in allowed), None)
        if role is None:
            continue
        r = await http.request(method, _url(path, OTHER, OTHER_ORG), headers=bearer(tokens[role]), json={})
        assert r.status_code == 403, f"{role} {method} {path}: {r.status_code} {r.text}"
        assert "outside this token's scope" in r.json()["detail"]
        checked += 1
    assert checked >= 8


async def test_a_revoked_token_stops_working(services: Services, http: httpx.AsyncClient, admin_token: str) -> None:
    r = await http.post("/admin/tokens", headers=bearer(admin_token),
                        json={"role": "auditor", "counties": ["360701"], "label": "temp"})
    assert r.status_code == 201, r.text
    issued = r.json()
    assert (await http.get("/counties", headers=bearer(issued["token"]))).status_code == 200
    r = await http.post(f"/admin/tokens/{issued['token_id']}/revoke", headers=bearer(admin_token),
                        json={"reason": "left the office"})
    assert r.status_code == 201
    await services_wait(services, r.json()["position"])
    assert (await http.get("/counties", headers=bearer(issued["token"]))).status_code == 401


async def services_wait(services: Services, position: int) -> None:
    import asyncio

    with services.params.connect(autocommit=True) as conn:
        for _ in range(500):
            row = conn.execute("SELECT notification_id FROM rm_access.tracking WHERE application_name = 'xiaofei'"
                               ).fetchone()
            if row and row[0] >= position:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("access projection did not catch up")
