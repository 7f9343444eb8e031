"""The longest period one claim may cover is the county's claim cycle, a dated parameter
(`claim.max_period_months`, 3 by default: a month or a quarter): a county that batches half-years or year ends
(龙井市 settles its awards at year end) records a longer one, and a claim is judged by the value in force for the
organisation's county on the first day of the claimed period (issue 22 point 22)."""

from __future__ import annotations

import httpx

from tests.e2e.test_employment_api import build_scene, slip, statement, upload
from xiaofei.bootstrap import Services

CYCLE_SOURCE = "某县人力资源和社会保障局关于就业帮扶车间补贴按半年申报的通知（县人社字〔2024〕3号）"


async def claim(http: httpx.AsyncClient, scene, period_from: str, period_to: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                           json={"period_from": period_from, "period_to": period_to})


async def cycle(http: httpx.AsyncClient, scene, months: str, effective_from: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await http.post(f"/counties/{scene.county}/policy/parameters", headers=scene.official, json={
        "name": "claim.max_period_months", "value": months, "effective_from": effective_from,
        "source": CYCLE_SOURCE, "era": "transition"})


def refused_for_period(r: httpx.Response, longest: int) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    [error] = r.json()["errors"]
    assert error["field"] == "period_to"
    assert "claim.max_period_months" in error["reason"] and f"is {longest} " in error["reason"]


async def test_a_half_year_claim_needs_the_county_to_batch_half_years_from_the_period_it_claims(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "P-1"),
                               slip(scene, scene.workers[0], "2024-05", 60000, "P-2")])
    await statement(http, scene, [("2024-03-28", "600", "", "P-1"), ("2024-05-28", "600", "", "P-2")])

    # by default a claim covers a month or a quarter
    refused_for_period(await claim(http, scene, "2024-01", "2024-06"), 3)

    # half-years from July 2024 on: the first half-year is still claimed by quarter
    assert (await cycle(http, scene, "6", "2024-07-01")).status_code == 201
    refused_for_period(await claim(http, scene, "2024-01", "2024-06"), 3)

    # half-years from January 2024: the first half-year is one claim, seven months are still too many
    assert (await cycle(http, scene, "6", "2024-01-01")).status_code == 201
    refused_for_period(await claim(http, scene, "2024-01", "2024-07"), 6)
    r = await claim(http, scene, "2024-01", "2024-06")
    assert r.status_code == 201, r.text
    assert (r.json()["lines"], r.json()["total_fen"]) == (4, 48000)  # March and May, worker and employer


async def test_the_claim_cycle_is_bounded_and_a_period_runs_forwards(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    for months in ("0", "13"):
        r = await cycle(http, scene, months, "2024-01-01")
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "value" and "between 1 and 12" in r.text
    assert (await cycle(http, scene, "12", "2024-01-01")).status_code == 201  # a year-end batch (年底统一奖补)
    r = await claim(http, scene, "2024-06", "2024-03")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period_to", r.text
    assert "before period_from" in r.json()["errors"][0]["reason"]
