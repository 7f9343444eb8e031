"""Claims through real HTTP: review, notice, approval, payment; no double claims; clawback after a correction."""

from __future__ import annotations

import httpx

from tests.e2e.test_employment_api import build_scene, slip, statement, upload
from xiaofei.bootstrap import Services


async def _claims(http: httpx.AsyncClient, scene, position: int) -> list[dict]:  # type: ignore[no-untyped-def]
    r = await http.get(f"/organisations/{scene.org}/claims", headers=scene.employer,
                       params={"min_position": position})
    assert r.status_code == 200, r.text
    return r.json()


async def _file(http: httpx.AsyncClient, scene, month: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                           json={"period_from": month, "period_to": month})


async def _approve_and_pay(http: httpx.AsyncClient, scene, claim: dict, paid_on: str) -> int:  # type: ignore[no-untyped-def]
    base = f"/counties/{scene.county}/claims/{claim['claim_id']}"
    r = await http.post(f"{base}/notice", headers=scene.official, json={"published_on": "2024-07-01"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{base}/approval", headers=scene.official, json={"approved_on": "2024-07-03"})
    assert r.status_code == 422 and "2024-07-08" in r.json()["detail"]  # the 7-day notice has not run
    r = await http.post(f"{base}/approval", headers=scene.official, json={"approved_on": "2024-07-08"})
    assert r.status_code == 201, r.text
    payees = {line["payee"] for line in claim["lines"] if line["rejected_reason"] is None}
    refs = {p: f"PAY-{i}" for i, p in enumerate(sorted(payees))}
    r = await http.post(f"{base}/payment", headers=scene.official, json={"paid_on": paid_on, "references": refs})
    assert r.status_code == 201, r.text
    return int(r.json()["position"])


async def test_a_paid_month_corrected_from_600_to_500_gives_clawbacks_of_20_in_the_next_claim(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    worker = scene.workers[0]
    await upload(http, scene, [slip(scene, worker, "2024-03", 60000, "P-1")])
    await statement(http, scene, [("2024-03-28", "600", "", "P-1")])
    r = await _file(http, scene, "2024-03")
    assert r.status_code == 201, r.text
    assert (r.json()["lines"], r.json()["total_fen"]) == (2, 24000)
    first = (await _claims(http, scene, r.json()["position"]))[0]
    assert {(ln["subsidy"], ln["kind"], ln["amount_fen"]) for ln in first["lines"]} == {
        ("worker_wage", "entitlement", 12000), ("employer_match", "entitlement", 12000)}
    assert first["lines"][0]["explanation"]["arithmetic"]
    position = await _approve_and_pay(http, scene, first, "2024-07-10")
    paid = (await _claims(http, scene, position))[0]
    assert paid["status"] == "paid" and sorted(p["amount_fen"] for p in paid["payments"]) == [12000, 12000]

    # never the same entitled amount twice
    r = await _file(http, scene, "2024-03")
    assert r.status_code == 422 and "nothing to claim" in r.json()["detail"]

    # the slip is corrected to 500元 and the new version is proven by the bank
    r = await upload(http, scene, [slip(scene, worker, "2024-03", 50000, "P-2", correction_reason="overtime twice")])
    assert r.status_code == 201, r.text
    await statement(http, scene, [("2024-03-29", "500", "", "P-2")])
    r = await _file(http, scene, "2024-08")  # the next open period
    assert r.status_code == 201, r.text
    assert r.json()["total_fen"] == -4000
    second = next(c for c in await _claims(http, scene, r.json()["position"]) if c["claim_id"] == r.json()["claim_id"])
    lines = {ln["subsidy"]: ln for ln in second["lines"]}
    for subsidy in ("worker_wage", "employer_match"):
        line = lines[subsidy]
        assert (line["kind"], line["amount_fen"]) == ("clawback", -2000)
        assert (line["entitled_fen"], line["previously_claimed_fen"]) == (10000, 12000)
        assert line["adjusts_claim"] == first["claim_id"] and line["slip_version"] == 2
        assert line["explanation"]["slip"]["version"] == 2

    # paying a claim that only claws back leaves recoveries to settle
    base = f"/counties/{county_code}/claims/{second['claim_id']}"
    await http.post(f"{base}/notice", headers=scene.official, json={"published_on": "2024-09-01"})
    await http.post(f"{base}/approval", headers=scene.official, json={"approved_on": "2024-09-09"})
    r = await http.post(f"{base}/payment", headers=scene.official, json={"paid_on": "2024-09-10", "references": {}})
    assert r.status_code == 201, r.text
    recoveries = (await http.get(f"/counties/{county_code}/recoveries", headers=scene.official,
                                 params={"min_position": r.json()["position"]})).json()
    assert sorted((x["payee"].split(":")[0], x["outstanding_fen"]) for x in recoveries) == [
        ("employer", 2000), ("worker", 2000)]
    r = await http.post(f"/counties/{county_code}/recoveries/settlement", headers=scene.official, json={
        "organisation": scene.org, "payee": "employer", "amount_fen": 2000, "reference": "退回 #1"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/counties/{county_code}/recoveries/settlement", headers=scene.official, json={
        "organisation": scene.org, "payee": "employer", "amount_fen": 1, "reference": "again"})
    assert r.status_code == 404


async def test_a_rejected_line_can_be_claimed_again(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-04", 60000, "R-1")])
    await statement(http, scene, [("2024-04-28", "600", "", "R-1")])
    r = await _file(http, scene, "2024-04")
    claim = (await _claims(http, scene, r.json()["position"]))[0]
    employer_line = next(ln for ln in claim["lines"] if ln["subsidy"] == "employer_match")
    r = await http.post(f"/counties/{county_code}/claims/{claim['claim_id']}/lines/{employer_line['line_no']}/rejection",
                        headers=scene.official, json={"reason": "matching funds not yet budgeted"})
    assert r.status_code == 201, r.text
    r = await _file(http, scene, "2024-04")
    assert r.status_code == 201 and (r.json()["lines"], r.json()["total_fen"]) == (1, 12000)


async def test_payment_needs_a_reference_for_every_payee(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-05", 60000, "M-1")])
    await statement(http, scene, [("2024-05-28", "600", "", "M-1")])
    r = await _file(http, scene, "2024-05")
    claim = (await _claims(http, scene, r.json()["position"]))[0]
    base = f"/counties/{county_code}/claims/{claim['claim_id']}"
    r = await http.post(f"{base}/payment", headers=scene.official, json={"paid_on": "2024-06-01", "references": {}})
    assert r.status_code == 409  # not approved yet
    await http.post(f"{base}/notice", headers=scene.official, json={"published_on": "2024-06-01"})
    await http.post(f"{base}/approval", headers=scene.official, json={"approved_on": "2024-06-08"})
    r = await http.post(f"{base}/payment", headers=scene.official,
                        json={"paid_on": "2024-06-09", "references": {"employer": "E-1"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "references"
