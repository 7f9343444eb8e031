"""Integrity flags through real HTTP, each with its evidence."""

from __future__ import annotations

import httpx

from tests.e2e.test_employment_api import build_scene, slip, statement, upload
from xiaofei.bootstrap import Services


async def _flags(http: httpx.AsyncClient, county: str, headers: dict[str, str], position: int,
                 **params: object) -> list[dict]:  # type: ignore[type-arg]
    r = await http.get(f"/counties/{county}/flags", headers=headers, params={"min_position": position, **params})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def test_a_worker_on_two_employers_slips_over_31_days_is_flagged_until_a_void_clears_it(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    a = await build_scene(http, services, county_code, admin_token)
    b = await build_scene(http, services, county_code, admin_token, org_n=2)
    worker = a.workers[0]
    await upload(http, a, [slip(a, worker, "2024-03", 60000, "A-1", days_worked=20)])
    r = await upload(http, b, [slip(b, worker, "2024-03", 40000, "B-1", days_worked=15)])
    assert r.status_code == 201, r.text
    flags = await _flags(http, county_code, a.official, r.json()["position"], kind="worker_days_over_31")
    assert len(flags) == 1
    evidence = flags[0]["evidence"]
    assert evidence["total_days"] == 35 and {x["organisation"] for x in evidence["slips"]} == {a.org, b.org}
    slip_b = next(x for x in evidence["slips"] if x["organisation"] == b.org)
    r = await http.post(f"/organisations/{b.org}/workshops/{b.workshop}/slips/2024-03/{slip_b['slip_id']}/void",
                        headers=b.employer, json={"reason": "reported by mistake"})
    assert r.status_code == 201, r.text
    assert await _flags(http, county_code, a.official, r.json()["position"], kind="worker_days_over_31") == []


async def test_one_bank_reference_on_two_slips_is_flagged(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    r = await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "SAME-REF"),
                                   slip(scene, scene.workers[1], "2024-03", 60000, "SAME-REF")])
    flags = await _flags(http, county_code, scene.official, r.json()["position"], kind="bank_ref_reused")
    assert [(f["subject"], len(f["evidence"]["slips"])) for f in flags] == [("SAME-REF", 2)]


async def test_hire_and_leave_within_three_months_around_a_claim_is_flagged(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-01", 60000, "H-1")])
    await statement(http, scene, [("2024-01-28", "600", "", "H-1")])
    r = await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                        json={"period_from": "2024-01", "period_to": "2024-01"})
    assert r.status_code == 201, r.text
    workers = (await http.get(f"/organisations/{scene.org}/claims", headers=scene.employer,
                              params={"min_position": r.json()["position"]})).json()["items"]
    assert workers
    employment_id = await _employment_of(services, scene.workshop)
    r = await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/workers/{employment_id}/end",
                        headers=scene.employer, json={"end": "2024-02-20", "reason": "left"})
    assert r.status_code == 201, r.text
    flags = await _flags(http, county_code, scene.official, r.json()["position"], kind="hire_and_leave_around_claim")
    assert len(flags) == 1 and flags[0]["evidence"]["end"] == "2024-02-20"


async def _employment_of(services: Services, workshop: str) -> str:
    from uuid import UUID

    ws = services.app.repository.get(UUID(workshop))
    return str(next(iter(ws.employments)))


async def test_hire_and_leave_is_judged_against_the_claims_period_and_filing_date(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    from datetime import UTC, datetime

    scene = await build_scene(http, services, county_code, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-01", 60000, "HL-1")])
    await statement(http, scene, [("2024-01-28", "600", "", "HL-1")])
    services.claims.clock = lambda: datetime(2024, 2, 4, 17, 0, tzinfo=UTC)  # 2024-02-05 01:00 in Beijing
    r = await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                        json={"period_from": "2024-01", "period_to": "2024-01"})
    assert r.status_code == 201, r.text
    employment_id = await _employment_of(services, scene.workshop)
    r = await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/workers/{employment_id}/end",
                        headers=scene.employer, json={"end": "2024-03-20", "reason": "left after the claim"})
    assert r.status_code == 201, r.text
    [flag] = await _flags(http, county_code, scene.official, r.json()["position"], kind="hire_and_leave_around_claim")
    evidence = flag["evidence"]
    assert (evidence["claim_period"], evidence["claim_filed_on"]) == ("2024-01 to 2024-01", "2024-02-05")
    assert "after the claim was filed" in evidence["rule"]
