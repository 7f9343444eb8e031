"""A province official records its own province's parameters — the province sets the monitoring line
(防返贫监测范围, e.g. 云农办通〔2025〕1号) — and no other scope (issue 22 point 23). The counties the tests create
share provinces 91–99, so the versions recorded here are dated 2014 only: no other test reads that year."""

from __future__ import annotations

import httpx

from tests.conftest import bearer, official_token
from xiaofei.bootstrap import Services

LINE = {"name": "monitoring.threshold_fen", "value": "330000", "effective_from": "2014-01-01",
        "effective_to": "2014-12-31", "source": "省乡村振兴局关于2014年防止返贫监测范围的通知（省振兴发〔2014〕2号）",
        "era": "campaign"}


async def test_a_province_official_records_its_provinces_monitoring_line_and_its_counties_apply_it(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    province = f"{county_code[:2]}0000"
    provincial = bearer(services.access.issue("province_official", [province], None, "省乡村振兴局", "test").secret)
    r = await http.post(f"/policy/scopes/{province}/parameters", headers=provincial, json=LINE)
    assert r.status_code == 201, r.text
    official = bearer(official_token(services, county_code))
    r = await http.get(f"/counties/{county_code}/policy", headers=official,
                       params={"on": "2014-12-31", "min_position": r.json()["position"]})
    line = next(p for p in r.json() if p["name"] == "monitoring.threshold_fen")
    assert (line["value"], line["scope"], line["source"]) == ("330000", province, LINE["source"])


async def test_a_province_official_records_no_other_scope(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    province = f"{county_code[:2]}0000"
    other_province = "530000" if province != "530000" else "520000"
    provincial = bearer(services.access.issue("province_official", [province], None, "省乡村振兴局", "test").secret)
    before = services.app.head_position()
    for scope in ("national", other_province, f"{county_code[:4]}00", county_code):
        r = await http.post(f"/policy/scopes/{scope}/parameters", headers=provincial, json=LINE)
        assert r.status_code == 403, f"{scope}: {r.status_code} {r.text}"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert f"scope {scope} is outside this token's scope" in r.json()["detail"]
    # a county's own parameters and presets stay the county officials'
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=provincial, json=LINE)
    assert r.status_code == 403, r.text
    r = await http.post(f"/counties/{county_code}/policy/adoptions", headers=provincial,
                        json={"preset": "shangyou-2017"})
    assert r.status_code == 403, r.text
    # a bad value in its own scope is the usual 422 naming the field
    r = await http.post(f"/policy/scopes/{province}/parameters", headers=provincial, json={**LINE, "value": "-1"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "value", r.text
    assert services.app.head_position() == before
