from __future__ import annotations

import httpx

from tests.conftest import bearer, official_token
from xiaofei.bootstrap import Services


async def test_adopting_a_preset_then_overriding_shows_each_value_with_its_source(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    official = bearer(official_token(services, county_code))
    r = await http.post(f"/counties/{county_code}/policy/adoptions", headers=official,
                        json={"preset": "shangyou-2017"})
    assert r.status_code == 201, r.text
    r = await http.get(f"/counties/{county_code}/policy", headers=official,
                       params={"on": "2018-03-31", "min_position": r.json()["position"]})
    params = {p["name"]: p for p in r.json()}
    rate = params["subsidy.worker_wage_rate"]
    assert (rate["value"], rate["scope"], rate["effective_from"]) == ("0.20", county_code, "2017-01-01")
    assert rate["source"].startswith("preset shangyou-2017")
    assert params["claim.notice_days"]["source"].startswith("built-in default")

    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=official, json={
        "name": "subsidy.worker_wage_rate", "value": "0.25", "effective_from": "2019-01-01",
        "source": "县人社局 2019 第3号", "era": "campaign"})
    assert r.status_code == 201
    r = await http.post(f"/policy/scopes/{county_code[:2]}0000/parameters", headers=bearer(admin_token), json={
        "name": "claim.notice_days", "value": "5", "effective_from": "2016-01-01", "source": "省文件", "era": "campaign"})
    assert r.status_code == 201
    position = r.json()["position"]
    before = {p["name"]: p for p in (await http.get(f"/counties/{county_code}/policy", headers=official,
                                                    params={"on": "2018-12-31", "min_position": position})).json()}
    after = {p["name"]: p for p in (await http.get(f"/counties/{county_code}/policy", headers=official,
                                                   params={"on": "2019-01-01"})).json()}
    assert before["subsidy.worker_wage_rate"]["value"] == "0.20"
    assert after["subsidy.worker_wage_rate"]["value"] == "0.25"
    assert after["claim.notice_days"]["value"] == "5" and after["claim.notice_days"]["scope"].endswith("0000")


async def test_a_bad_parameter_value_is_refused_and_nothing_is_recorded(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    before = services.app.head_position()
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=official, json={
        "name": "subsidy.worker_wage_rate", "value": "twenty percent", "effective_from": "2019-01-01",
        "source": "x", "era": "campaign"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "value"
    r = await http.post(f"/counties/{county_code}/policy/adoptions", headers=official, json={"preset": "hunan-2030"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "preset"
    assert services.app.head_position() == before
