"""Adjustments do not depend on the employer's goodwill: a clawback after payment is visible to the county at
once, per organisation, and the county can settle it into a recovery without the employer filing."""

from __future__ import annotations

import httpx

from tests.e2e.test_claims_api import approve_and_pay, claim_view, claims_of, file, notice_days, shanghai_today
from tests.e2e.test_employment_api import build_scene, slip, statement, upload
from xiaofei.bootstrap import Services


async def _pending(http: httpx.AsyncClient, county: str, headers: dict[str, str], position: int,
                   **params: str | int) -> dict:  # type: ignore[type-arg]
    r = await http.get(f"/counties/{county}/pending-adjustments", headers=headers,
                       params={"min_position": position, **params})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_a_correction_after_payment_is_pending_for_the_county_which_settles_it_into_recoveries(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    await notice_days(http, scene, 1)
    worker = scene.workers[0]
    await upload(http, scene, [slip(scene, worker, "2024-03", 60000, "A-1")])
    await statement(http, scene, [("2024-03-28", "600", "", "A-1")])
    r = await file(http, scene, "2024-03")
    first = (await claims_of(http, scene, r.json()["position"]))[0]
    position = await approve_and_pay(http, scene, first)
    assert (await _pending(http, county_code, scene.official, position))["items"] == []

    # given a paid month corrected from 600元 to 500元 (proven by the bank), and an employer who files nothing
    await upload(http, scene, [slip(scene, worker, "2024-03", 50000, "A-2", correction_reason="overtime twice")])
    r = await statement(http, scene, [("2024-03-29", "500", "", "A-2")])

    # then the county sees the clawbacks at once
    page = await _pending(http, county_code, scene.official, r.json()["position"])
    [pending] = page["items"]
    assert page["next_after"] is None
    assert (pending["organisation"], pending["total_fen"]) == (scene.org, -4000)
    assert sorted((p.split(":")[0], n) for p, n in pending["net_by_payee"].items()) == [
        ("employer", -2000), ("worker", -2000)]
    assert {(ln["subsidy"], ln["kind"], ln["amount_fen"], ln["adjusts_claim"]) for ln in pending["lines"]} == {
        ("worker_wage", "clawback", -2000, first["claim_id"]), ("employer_match", "clawback", -2000, first["claim_id"])}
    auditor = await http.post("/admin/tokens", headers={"Authorization": f"Bearer {admin_token}"},
                              json={"role": "auditor", "counties": [county_code], "label": "auditor"})
    auditor_headers = {"Authorization": f"Bearer {auditor.json()['token']}"}
    assert (await _pending(http, county_code, auditor_headers, 0, organisation=scene.org))["items"][0][
        "total_fen"] == -4000

    # the county files the adjustment claim itself; it follows notice, approval and payment
    r = await http.post(f"/counties/{county_code}/adjustment-claims", headers=scene.official,
                        json={"organisation": scene.org})
    assert r.status_code == 201, r.text
    assert (r.json()["lines"], r.json()["total_fen"]) == (2, -4000)
    adjustment = await claim_view(http, scene, r.json()["claim_id"], r.json()["position"])
    month = shanghai_today()[:7]
    assert (adjustment["initiated_by"], adjustment["period_from"], adjustment["period_to"]) == ("county", month, month)
    assert (await _pending(http, county_code, scene.official, r.json()["position"]))["items"] == []
    r = await http.post(f"/counties/{county_code}/adjustment-claims", headers=scene.official,
                        json={"organisation": scene.org})
    assert r.status_code == 422 and "no adjustment is pending" in r.json()["detail"]
    r = await file(http, scene, "2024-03")  # the employer's next claim does not carry them again
    assert r.status_code == 422

    position = await approve_and_pay(http, scene, adjustment)
    recoveries = (await http.get(f"/counties/{county_code}/recoveries", headers=scene.official,
                                 params={"min_position": position})).json()["items"]
    assert sorted((x["payee"].split(":")[0], x["outstanding_fen"]) for x in recoveries) == [
        ("employer", 2000), ("worker", 2000)]


async def test_pending_adjustments_are_paged_by_organisation_and_scoped_to_the_county(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scenes = [await build_scene(http, services, county_code, admin_token, org_n=n) for n in (1, 2)]
    position = 0
    for i, scene in enumerate(scenes):
        await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, f"G-{i}")])
        await statement(http, scene, [("2024-03-28", "600", "", f"G-{i}")])
        assert (await file(http, scene, "2024-03")).status_code == 201
        await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 50000, f"H-{i}",
                                        correction_reason="recount")])
        position = (await statement(http, scene, [("2024-03-29", "500", "", f"H-{i}")])).json()["position"]
    official = scenes[0].official
    orgs = sorted(s.org for s in scenes)
    page = await _pending(http, county_code, official, position, limit=1)
    assert ([p["organisation"] for p in page["items"]], page["next_after"]) == ([orgs[0]], orgs[0])
    page = await _pending(http, county_code, official, position, limit=1, after=orgs[0])
    assert [p["organisation"] for p in page["items"]] == [orgs[1]]
    page = await _pending(http, county_code, official, position, limit=1, after=orgs[1])
    assert (page["items"], page["next_after"]) == ([], None)

    r = await http.get(f"/counties/{county_code}/pending-adjustments", headers=official,
                       params={"organisation": "91360701MA35HQME0C"})  # an organisation of another county
    assert r.status_code == 404
    r = await http.post(f"/counties/{county_code}/adjustment-claims", headers=official,
                        json={"organisation": "91360701MA35HQME0C"})
    assert r.status_code == 404
    r = await http.get(f"/counties/{county_code}/pending-adjustments", headers=official, params={"limit": 0})
    assert r.status_code == 400


async def test_the_claim_endpoints_document_their_statuses_and_examples(http: httpx.AsyncClient) -> None:
    r = await http.get("/schema/openapi.json")
    assert r.status_code == 200, r.text
    spec = r.json()
    operations = {op["operationId"]: op for path in spec["paths"].values() for op in path.values()
                  if isinstance(op, dict) and "operationId" in op}
    commands = ("fileClaim", "rejectClaimLine", "reinstateClaimLine", "publishClaimNotice", "lodgeClaimObjection",
                "resolveClaimObjection", "approveClaim", "payClaim", "fileAdjustmentClaim", "settleRecovery")
    for name in commands:
        op = operations[name]
        assert {"201", "400", "401", "403", "404", "409", "422"} <= set(op["responses"]), name
        assert "application/problem+json" in op["responses"]["422"]["content"], name
    assert {"200", "400", "401", "403", "404", "409", "503"} <= set(operations["pendingAdjustments"]["responses"])
    assert "same rule" in operations["pendingAdjustments"]["description"]
    assert "Asia/Shanghai" in operations["publishClaimNotice"]["description"]
    assert "工人王芳" in r.text  # the objection example
