from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tests.conftest import bearer, official_token
from tests.e2e.test_employment_api import build_scene, entitlements, slip, statement, upload
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
    # The test counties share provinces (9x0000): the province version ends in 2019 so other tests never see it.
    r = await http.post(f"/policy/scopes/{county_code[:2]}0000/parameters", headers=bearer(admin_token), json={
        "name": "claim.notice_days", "value": "5", "effective_from": "2016-01-01", "effective_to": "2019-12-31",
        "source": "省扶贫办关于扶贫车间奖补公示的通知", "era": "campaign"})
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


async def _rate_on(http: httpx.AsyncClient, county: str, headers: dict[str, str], on: str,
                   position: int | None = None) -> dict[str, Any]:
    r = await http.get(f"/counties/{county}/policy", headers=headers, params={"on": on, "min_position": position or 0})
    assert r.status_code == 200, r.text
    return next(p for p in r.json() if p["name"] == "subsidy.worker_wage_rate")


async def _record_rate(http: httpx.AsyncClient, county: str, headers: dict[str, str], value: str, start: str,
                       **extra: str) -> httpx.Response:
    return await http.post(f"/counties/{county}/policy/parameters", headers=headers, json={
        "name": "subsidy.worker_wage_rate", "value": value, "effective_from": start, "era": "transition",
        "source": "县人社局关于调整就业帮扶车间工资补贴比例的通知", **extra})


async def test_the_version_that_started_last_wins_not_the_one_recorded_last(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    # Given A (effective 2024-06-01) recorded first, then B (effective 2024-01-01) recorded after it
    assert (await _record_rate(http, county_code, official, "0.30", "2024-06-01")).status_code == 201
    r = await _record_rate(http, county_code, official, "0.25", "2024-01-01")
    assert r.status_code == 201
    position = r.json()["position"]
    # Then A is in force once it has started, B before that
    assert (await _rate_on(http, county_code, official, "2024-07-01", position))["value"] == "0.30"
    early = await _rate_on(http, county_code, official, "2024-03-01")
    assert (early["value"], early["effective_from"]) == ("0.25", "2024-01-01")
    # And on equal effective dates the later record wins
    r = await _record_rate(http, county_code, official, "0.28", "2024-06-01")
    assert (await _rate_on(http, county_code, official, "2024-07-01", r.json()["position"]))["value"] == "0.28"


async def test_a_rate_of_20_is_refused_naming_the_value_and_its_bounds_and_nothing_is_written(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    before = services.app.head_position()
    r = await _record_rate(http, county_code, official, "20", "2024-01-01")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    [problem] = r.json()["errors"]
    assert problem["field"] == "value" and "between 0 and 1" in problem["reason"]
    assert services.app.head_position() == before
    assert (await _rate_on(http, county_code, official, "2024-07-01"))["value"] == "0.20"  # built-in default


async def test_an_era_that_does_not_overlap_the_dates_and_a_preset_adopted_after_its_end_are_refused(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    before = services.app.head_position()
    r = await _record_rate(http, county_code, official, "0.25", "2016-01-01", effective_to="2018-12-31")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "era"  # 过渡期 starts in 2021
    r = await http.post(f"/counties/{county_code}/policy/adoptions", headers=official,
                        json={"preset": "jilin-2018", "effective_from": "2022-01-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "effective_from"
    assert services.app.head_position() == before
    # Without an era, a version takes the era its effective_from falls in
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=official, json={
        "name": "subsidy.worker_wage_rate", "value": "0.25", "effective_from": "2018-01-01",
        "source": "县人社局关于就业扶贫车间工资补贴比例的通知"})
    assert r.status_code == 201, r.text
    rate = await _rate_on(http, county_code, official, "2018-06-30", r.json()["position"])
    assert (rate["value"], rate["era"], rate["minimum"], rate["maximum"]) == ("0.25", "campaign", "0", "1")


async def test_a_stored_out_of_bounds_version_is_passed_over_by_the_lookup_and_the_projection(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "OB-1")])
    await statement(http, scene, [("2024-03-28", "600.00", "", "OB-1")])
    # Given a rate of 20 recorded before the catalogue had bounds (written straight to the policy book, as old
    # events were)
    position = services.policy._save(county_code, lambda book: book.record_parameter(
        "subsidy.worker_wage_rate", "20", date(2024, 1, 1), None, "old entry", "transition", "token:official"))
    # Then the lookup and the entitlements keep the preset's 20%, and nothing fails
    rate = await _rate_on(http, county_code, scene.official, "2024-03-31", position)
    assert rate["value"] == "0.20" and rate["source"].startswith("preset shangyou-2017")
    lines = await entitlements(http, scene, position, "2024-03")
    assert (lines["worker_wage"]["amount_fen"], lines["employer_match"]["amount_fen"]) == (12000, 12000)


async def test_a_decimal_with_an_exponent_or_more_than_six_places_is_refused_and_nothing_is_written(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    """``1e-999999`` lies between 0 and 1, but no ``numeric`` column can hold it: accepted once, it stopped a county's
    consumption reads (NumericValueOutOfRange) at the first reserved-share filing."""
    official = bearer(official_token(services, county_code))
    before = services.app.head_position()
    # Given a decimal parameter and an integer one, when an official or the admin records values no column can hold
    for headers, url, name, value in [
        (bearer(admin_token), f"/policy/scopes/{county_code[:2]}0000/parameters", "purchase.reserved_share_min",
         "1e-999999"),
        (official, f"/counties/{county_code}/policy/parameters", "purchase.reserved_share_min", "1E-1"),
        (official, f"/counties/{county_code}/policy/parameters", "purchase.reserved_share_min", "0.1000001"),
        (official, f"/counties/{county_code}/policy/parameters", "purchase.reserved_share_min", "NaN"),
        (official, f"/counties/{county_code}/policy/parameters", "claim.notice_days", "1_0"),
        (official, f"/counties/{county_code}/policy/parameters", "claim.notice_days", "１０"),
    ]:
        r = await http.post(url, headers=headers, json={
            "name": name, "value": value, "effective_from": "2019-01-01", "effective_to": "2019-12-31",
            "source": "省财政厅关于做好预算单位预留份额工作的通知", "era": "campaign"})
        # Then each is refused naming the value, and nothing is recorded
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
        [problem] = r.json()["errors"]
        assert problem["field"] == "value", (value, problem)
    assert services.app.head_position() == before
    # And six decimal places are still a value
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=official, json={
        "name": "purchase.reserved_share_min", "value": "0.123456", "effective_from": "2019-01-01",
        "effective_to": "2019-12-31", "source": "县财政局关于预留份额的通知", "era": "campaign"})
    assert r.status_code == 201, r.text


async def test_a_stored_exponent_decimal_is_passed_over_and_a_filing_does_not_halt_the_county(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    from tests.e2e.test_consumption_buyers_api import buyer_token, file, register

    official = bearer(official_token(services, county_code))
    # Given a minimum share of 1e-999999 recorded before values were limited (written straight to the policy book)
    services.policy._save(county_code, lambda book: book.record_parameter(
        "purchase.reserved_share_min", "1e-999999", date(2019, 1, 1), date(2019, 12, 31), "old entry", "campaign",
        "token:official"))
    key = (await register(http, county_code, official)).json()["key"]
    # When a budget unit of the county files its 2019 reserved share
    r = await file(http, key, buyer_token(services, key), year=2019, kind="canteen", canteen_budget_fen=1_000_000,
                   reserved_share_rate="0.10")
    # Then the stored version is not in force (the national 10 % is), and the county's reads keep answering
    assert r.json()["filing"]["minimum_rate"] == "0.10"
    r = await http.get(f"/counties/{county_code}/reserved-share-progress", headers=official,
                       params={"year": 2019, "min_position": r.json()["position"]})
    assert r.status_code == 200, r.text
    assert [row["reserved_fen"] for row in r.json()["items"] if row["budget_unit"] == key] == [100_000]


async def test_a_filing_already_in_the_log_with_an_exponent_minimum_does_not_halt_the_county(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    from decimal import Decimal

    from tests.consumption_given import given_buyer
    from xiaofei.domain.consumption.buyers import Buyer, ShareFiling

    # Given a filing recorded while such a minimum was in force (its event carries the minimum it was checked against)
    key = given_buyer(services, county_code)
    buyer = services.app.repository.get(Buyer.create_id(key))
    buyer.file_share(ShareFiling(year=2019, kind="canteen", canteen_budget_fen=1_000_000,
                                 reserved_share_rate=Decimal("0.10"), shared_with=None, reserved_fen=100_000,
                                 minimum_rate=Decimal("1e-999999"), filed_on=date(2019, 3, 1)), "", "test")
    position = services.app.record(buyer)
    # Then the consumption projection stores it (the minimum rounded to six places) and the county's reads answer
    r = await http.get(f"/counties/{county_code}/reserved-share-progress",
                       headers=bearer(official_token(services, county_code)),
                       params={"year": 2019, "min_position": position})
    assert r.status_code == 200, r.text
    assert [row["reserved_fen"] for row in r.json()["items"] if row["budget_unit"] == key] == [100_000]
