"""Hiring award (with its per-workshop cap), training subsidy and rent & utilities subsidy, through real HTTP."""

from __future__ import annotations

import httpx

from tests.e2e.test_employment_api import build_scene, entitlements, slip, statement, upload
from tests.helpers import id_number
from xiaofei.bootstrap import Services


async def _by_subsidy(http: httpx.AsyncClient, scene, position: int, subsidy: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await http.get(f"/organisations/{scene.org}/entitlements", headers=scene.employer,
                       params={"min_position": position})
    return [line for line in r.json()["items"] if line["subsidy"] == subsidy]


async def _months(http: httpx.AsyncClient, scene, worker: str, months: list[str]) -> int:  # type: ignore[no-untyped-def]
    await upload(http, scene, [slip(scene, worker, m, 150000, f"{worker[-6:]}-{m}") for m in months])
    r = await statement(http, scene, [(f"{m}-28", "1500", "", f"{worker[-6:]}-{m}") for m in months])
    assert r.json()["matched"] == len(months), r.text
    return int(r.json()["position"])


async def test_six_consecutive_eligible_months_earn_one_hiring_award_and_five_do_not(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    await _months(http, scene, scene.workers[0], [f"2024-{m:02d}" for m in range(1, 7)])
    position = await _months(http, scene, scene.workers[1], [f"2024-{m:02d}" for m in range(1, 6)])
    awards = await _by_subsidy(http, scene, position, "hiring_award")
    assert [(a["month"], a["amount_fen"], a["payee"]) for a in awards] == [("2024-06", 100000, "employer")]
    explanation = awards[0]["explanation"]
    assert len(explanation["slips"]) == 6 and explanation["arithmetic"]
    assert {p["name"] for p in explanation["parameters"]} >= {"subsidy.hiring_award_fen", "subsidy.hiring_min_months"}
    # a seventh month earns nothing more: once per person per county and era
    position = await _months(http, scene, scene.workers[0], ["2024-07"])
    assert len(await _by_subsidy(http, scene, position, "hiring_award")) == 1


async def test_hiring_awards_stop_at_the_workshop_cap(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=scene.official, json={
        "name": "subsidy.hiring_cap_per_workshop_fen", "value": "150000", "effective_from": "2024-01-01",
        "source": "县人社局 2024 第1号", "era": "transition"})
    assert r.status_code == 201
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    await _months(http, scene, scene.workers[0], months)
    position = await _months(http, scene, scene.workers[1], months)
    awards = await _by_subsidy(http, scene, position, "hiring_award")
    assert sorted(a["amount_fen"] for a in awards) == [50000, 100000]
    capped = next(a for a in awards if a["amount_fen"] == 50000)
    assert "1500.00元 cap" in capped["explanation"]["arithmetic"][0]


async def test_training_subsidy_per_eligible_trainee_once_a_year(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    outsider = id_number(county_code, 777, born="19850101")
    url = f"/organisations/{scene.org}/workshops/{scene.workshop}/trainings"
    r = await http.post(url, headers=scene.employer, json={
        "held_on": "2024-03-05", "course": "缝纫机操作", "hours": 16,
        "trainees": [{"name": "工人0", "id_number": scene.workers[0]}, {"name": "外来", "id_number": outsider}]})
    assert r.status_code == 201, r.text
    r = await http.post(url, headers=scene.employer, json={
        "held_on": "2024-09-01", "course": "质量检验", "hours": 8, "trainees": [{"name": "工人0", "id_number": scene.workers[0]}]})
    lines = await _by_subsidy(http, scene, r.json()["position"], "training")
    assert sorted((line["month"], line["amount_fen"]) for line in lines) == [
        ("2024-03", 0), ("2024-03", 30000), ("2024-09", 0)]
    september = next(line for line in lines if line["month"] == "2024-09")
    assert "already subsidised" in str(september["explanation"]["checks"])
    r = await http.post(url, headers=scene.employer, json={"held_on": "2024-03-05", "course": "x", "hours": 1,
                                                            "trainees": []})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "trainees"


async def test_rent_and_utilities_subsidy_is_half_of_evidenced_costs(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "RENT-1")])
    await statement(http, scene, [("2024-03-28", "600", "", "RENT-1")])  # a poor worker counts once proven paid
    url = f"/organisations/{scene.org}/workshops/{scene.workshop}/costs"
    await http.post(url, headers=scene.employer, json={"month": "2024-03", "kind": "rent", "amount_fen": 80000,
                                                        "evidence": "租赁发票 No.001"})
    r = await http.post(url, headers=scene.employer, json={"month": "2024-03", "kind": "utilities",
                                                            "amount_fen": 12345, "evidence": "电费单 2024-03"})
    assert r.status_code == 201, r.text
    [line] = await _by_subsidy(http, scene, r.json()["position"], "rent_utilities")
    assert line["amount_fen"] == 46173  # 0.5 × 923.45元 = 461.725 → 461.73元, half-up
    assert line["explanation"]["arithmetic"] == ["0.5 × 923.45元 = 461.73元 (half-up to the fen)"]
    r = await http.post(url, headers=scene.employer, json={"month": "2024-03", "kind": "rent", "amount_fen": 80000,
                                                            "evidence": " "})
    assert r.status_code in (400, 422)


async def test_entitlements_listed_per_month_include_every_subsidy(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    position = await _months(http, scene, scene.workers[0], ["2024-02"])
    lines = await entitlements(http, scene, position, "2024-02")
    assert set(lines) == {"worker_wage", "employer_match"}
