"""Read what you wrote (issue 8 §1): a county's organisations and workshops, an employer's workshops, workers,
slips with their versions and proof, and upload receipts — every list paged by a cursor."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from tests.e2e.test_employment_api import Scene, build_scene, slip, statement, upload
from xiaofei.bootstrap import Services


async def _get(http: httpx.AsyncClient, path: str, headers: dict[str, str], position: int,
               **params: Any) -> Any:
    r = await http.get(path, headers=headers, params={"min_position": position, **params})
    assert r.status_code == 200, r.text
    return r.json()


async def _slips_written(http: httpx.AsyncClient, scene: Scene) -> tuple[str, int]:
    """Two workers' March slips, one proven by the bank; the upload's id and the last position."""
    r = await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "R-1"),
                                   slip(scene, scene.workers[1], "2024-03", 55000, "R-2")])
    assert r.status_code == 201, r.text
    upload_id = r.json()["upload_id"]
    r = await statement(http, scene, [("2024-03-28", "600", "", "R-1")])
    assert r.status_code == 201, r.text
    return upload_id, r.json()["position"]


async def test_a_county_lists_its_organisations_and_workshops_with_their_state(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    _, position = await _slips_written(http, scene)
    page = await _get(http, f"/counties/{county_code}/organisations", scene.official, position)
    [org] = page["items"]
    assert (org["credit_code"], org["workshops"], org["certified_workshops"], org["current_workers"]) == (
        scene.org, 1, 1, 2)
    assert page["next_after"] is None

    detail = await _get(http, f"/counties/{county_code}/organisations/{scene.org}", scene.official, position)
    assert [w["workshop_id"] for w in detail["workshops"]] == [scene.workshop]
    assert detail["certifications"][scene.workshop][0]["plaque_number"] == "赣州扶贫车间-0427"

    certified = await _get(http, f"/counties/{county_code}/workshops", scene.official, position, status="certified")
    assert [w["workshop_id"] for w in certified["items"]] == [scene.workshop]
    assert certified["items"][0]["township_code"] == f"{county_code}100"
    # two workers never meet the ten-worker criterion of shangyou-2017: not eligible
    eligible = await _get(http, f"/counties/{county_code}/workshops", scene.official, position, status="eligible")
    assert eligible["items"] == []

    one = await _get(http, f"/counties/{county_code}/workshops/{scene.workshop}", scene.official, position)
    assert len(one["current_workers"]) == 2 and one["certifications"][0]["certified_on"] == "2024-01-01"
    [march] = [m for m in one["months"] if m["month"] == "2024-03"]
    assert (march["slips"], march["gross_fen"]) == (2, 115000)
    assert march["entitled_fen"] == 24000  # the proven slip: 120 元 + 120 元; the other is not verified yet

    r = await http.get(f"/counties/{county_code}/workshops/00000000-0000-0000-0000-000000000009",
                       headers=scene.official)
    assert r.status_code == 404


async def test_an_employer_reads_its_workers_slips_with_versions_and_proof_and_its_upload_receipts(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    upload_id, position = await _slips_written(http, scene)
    base = f"/organisations/{scene.org}"

    shops = await _get(http, f"{base}/workshops", scene.employer, position)
    assert [w["workshop_id"] for w in shops["items"]] == [scene.workshop]

    # paged one by one: the cursor walks the two workers without repeating one
    first = await _get(http, f"{base}/workshops/{scene.workshop}/workers", scene.employer, position, limit=1)
    assert len(first["items"]) == 1 and first["next_after"]
    second = await _get(http, f"{base}/workshops/{scene.workshop}/workers", scene.employer, position, limit=1,
                        after=first["next_after"])
    workers = first["items"] + second["items"]
    assert second["next_after"] is None and len({w["employment_id"] for w in workers}) == 2
    assert all("*" in w["id_masked"] and w["current"] for w in workers)

    slips = await _get(http, f"{base}/slips", scene.employer, position, month="2024-03")
    status = {s["gross_fen"]: s["status"] for s in slips["items"]}
    assert status == {60000: "verified", 55000: "unverified"}
    proven = next(s for s in slips["items"] if s["gross_fen"] == 60000)
    assert proven["evidence"] and proven["worker_name"] == "工人0"
    unproven = await _get(http, f"{base}/slips", scene.employer, position, status="unverified")
    assert [s["gross_fen"] for s in unproven["items"]] == [55000]

    # a correction is a new version with its reason; the slip shows both
    r = await upload(http, scene, [slip(scene, scene.workers[1], "2024-03", 56000, "R-2",
                                        correction_reason="加班费漏算")])
    assert r.status_code == 201, r.text
    other = next(s for s in slips["items"] if s["gross_fen"] == 55000)
    one = await _get(http, f"{base}/slips/{other['slip_id']}", scene.employer, r.json()["position"])
    assert [(v["version"], v["gross_fen"], v["reason"]) for v in one["versions"]] == [
        (1, 55000, ""), (2, 56000, "加班费漏算")]
    assert one["versions"][1]["upload_id"] == r.json()["upload_id"]

    receipt = await _get(http, f"{base}/uploads/{upload_id}", scene.employer, r.json()["position"])
    assert (receipt["rows"], receipt["reported"]) == (2, 2)
    assert sorted(s["gross_fen"] for s in receipt["slips"]) == [55000, 60000]
    listed = await _get(http, f"{base}/uploads", scene.employer, r.json()["position"])
    assert [u["upload_id"] for u in listed["items"]] == [r.json()["upload_id"], upload_id]  # newest first


async def test_a_cursor_the_list_did_not_give_is_refused_naming_after(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    for after in ("garbage", "WyJ4Il0", "W10"):  # not base64 JSON; ["x"] (not a uuid); [] (no key)
        r = await http.get(f"/organisations/{scene.org}/slips", headers=scene.employer, params={"after": after})
        assert r.status_code == 422, (after, r.text)
        assert r.json()["errors"][0]["field"] == "after"


async def test_one_claim_shows_its_payees_by_name_with_masked_ids_and_its_totals(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    for month in ("2024-03", "2024-04"):  # two months, two claims, to page through
        await upload(http, scene, [slip(scene, scene.workers[0], month, 60000, f"P-{month}-0",
                                        payee_account="6217001234567890"),
                                   slip(scene, scene.workers[1], month, 60000, f"P-{month}-1")])
        await statement(http, scene, [(f"{month}-28", "600", "6217001234567890", f"P-{month}-0"),
                                      (f"{month}-28", "600", "", f"P-{month}-1")])
        r = await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                            json={"period_from": month, "period_to": month})
        assert r.status_code == 201, r.text
    position = r.json()["position"]
    page = await _get(http, f"/counties/{county_code}/claims", scene.official, position, limit=1)
    assert len(page["items"]) == 1 and page["next_after"]
    march = page["items"][0]
    assert march["period_from"] == "2024-03" and march["total_fen"] == 48000
    rest = await _get(http, f"/counties/{county_code}/claims", scene.official, position, after=page["next_after"])
    assert [c["period_from"] for c in rest["items"]] == ["2024-04"] and rest["next_after"] is None

    for path, who in ((f"/counties/{county_code}/claims/{march['claim_id']}", scene.official),
                      (f"/organisations/{scene.org}/claims/{march['claim_id']}", scene.employer)):
        detail = await _get(http, path, who, position)
        assert detail["totals_by_subsidy"] == {"employer_match": 24000, "worker_wage": 24000}
        payees = {p["name"]: p for p in detail["payees"]}
        assert payees["工人0"]["total_fen"] == 12000 and "*" in payees["工人0"]["id_masked"]
        assert payees["工人0"]["account_masked"] == "************7890"
        employer = payees["上犹县某服饰有限公司"]
        assert (employer["payee"], employer["total_fen"]) == ("employer", 24000)
        assert sum(p["total_fen"] for p in detail["payees"]) == detail["claim"]["total_fen"] == 48000
    r = await http.get(f"/counties/{county_code}/claims/00000000-0000-0000-0000-000000000009", headers=scene.official)
    assert r.status_code == 404

    # each entitlement line names its worker, links its slip and says how far its claim has gone
    lines = await _get(http, f"/organisations/{scene.org}/entitlements", scene.employer, position, month="2024-03",
                       subsidy="worker_wage")
    assert {ln["worker_name"] for ln in lines["items"]} == {"工人0", "工人1"}
    for line in lines["items"]:
        assert (line["claimed_fen"], line["claim_status"], line["last_claim_id"]) == (12000, "filed",
                                                                                      march["claim_id"])
        slip_read = await _get(http, line["slip"], scene.employer, position)
        assert slip_read["slip"]["slip_id"] == line["slip_id"] and "*" in line["id_masked"]
    paged = await _get(http, f"/counties/{county_code}/entitlements", scene.official, position, limit=3)
    rest = await _get(http, f"/counties/{county_code}/entitlements", scene.official, position,
                      after=paged["next_after"])
    assert len(paged["items"]) == 3 and len(rest["items"]) == 5 and rest["next_after"] is None


async def test_a_query_parameter_the_read_does_not_know_is_refused_not_ignored(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    # ?montth=2024-03 would otherwise answer every month's slips
    scene = await build_scene(http, services, county_code, admin_token)
    r = await http.get(f"/organisations/{scene.org}/slips", headers=scene.employer, params={"montth": "2024-03"})
    assert r.status_code == 400, r.text
    assert r.json()["errors"] == [{"field": "montth", "reason": "unknown query parameter"}]
    # a monitor's cache-buster on the public probes is harmless (found in review: /health?probe=1 was a 400)
    assert (await http.get("/health", params={"probe": "1"})).status_code == 200


async def test_costs_trainings_statements_imports_and_tokens_each_read_back(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    base = f"/organisations/{scene.org}"
    r = await http.post(f"{base}/workshops/{scene.workshop}/costs", headers=scene.employer, json={
        "month": "2024-03", "kind": "rent", "amount_fen": 80000, "evidence": "租赁发票 No.1"})
    assert r.status_code == 201, r.text
    costs = await _get(http, f"{base}/workshops/{scene.workshop}/costs", scene.employer, r.json()["position"])
    assert [(c["month"], c["kind"], c["amount_fen"]) for c in costs["items"]] == [("2024-03", "rent", 80000)]

    r = await http.post(f"{base}/workshops/{scene.workshop}/trainings", headers=scene.employer, json={
        "held_on": "2024-03-10", "course": "缝纫技能", "hours": 40,
        "trainees": [{"name": "工人0", "id_number": scene.workers[0]}]})
    assert r.status_code == 201, r.text
    trainings = await _get(http, f"{base}/trainings", scene.employer, r.json()["position"])
    [training] = trainings["items"]
    assert (training["course"], training["hours"], training["trainees"][0]["name"]) == ("缝纫技能", 40, "工人0")
    assert scene.workers[0] not in str(trainings) and "*" in training["trainees"][0]["id_masked"]

    await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "T-1")])
    r = await statement(http, scene, [("2024-03-28", "600", "6217001234567890", "T-1"),
                                      ("2024-03-29", "99", "", "STRAY")])
    listed = await _get(http, f"{base}/bank-statements", scene.employer, r.json()["position"])
    [summary] = listed["items"]
    assert (summary["lines"], summary["matched"], summary["amount_fen"]) == (2, 1, 69900)
    one = await _get(http, f"{base}/bank-statements/{summary['statement_id']}", scene.employer, r.json()["position"])
    assert [ln["matched_slip"] is not None for ln in one["lines"]] == [True, False]
    assert one["lines"][0]["payee_account_masked"] == "************7890"

    imports = await _get(http, f"/counties/{county_code}/household-imports", scene.official, r.json()["position"])
    assert imports["items"][0]["registered"] == 2 and len(imports["items"][0]["file_sha256"]) == 64

    # the list is paged oldest first: after the whole suite's employers, this scene's token may be pages away
    admin, page, found = {"Authorization": f"Bearer {admin_token}"}, {"next_after": None}, []
    while True:
        extra = {"after": page["next_after"]} if page["next_after"] else {}
        page = await _get(http, "/admin/tokens", admin, r.json()["position"], role="employer", revoked="false",
                          limit=500, **extra)
        assert "token_hash" not in str(page) and "xf_" not in str(page)
        found += [t for t in page["items"] if t["organisation_id"] == scene.org]
        if found or page["next_after"] is None:
            break
    assert found


async def test_a_hand_made_cursor_is_a_422_whatever_it_carries(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    # found in review: forged keys reached PostgreSQL (U+0000, lone surrogates, int32 and date overflow): 500
    scene = await build_scene(http, services, county_code, admin_token)

    def cursor(*key: str) -> str:  # as a client could forge one (JSON escapes let a lone surrogate through)
        return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()

    u = "00000000-0000-0000-0000-000000000001"
    cases = [(f"/organisations/{scene.org}/slips", cursor("\u0000", u, u)),
             (f"/organisations/{scene.org}/entitlements", cursor("\ud800", u, u, "x")),
             (f"/organisations/{scene.org}/unmatched-statement-lines", cursor(u, "99999999999")),
             (f"/counties/{county_code}/flags", cursor("9999-12-31T23:59:59-14:00", "x")),
             (f"/counties/{county_code}/flags", cursor("0001-01-01T00:00:00+14:00", "x")),
             (f"/organisations/{scene.org}/uploads", cursor("2024-01-01T00:00:00", u))]  # no offset
    for path, after in cases:
        r = await http.get(path, headers=scene.official if "/counties/" in path else scene.employer,
                           params={"after": after})
        assert r.status_code == 422, (path, after, r.text)
        assert r.json()["errors"][0]["field"] == "after"


async def test_an_official_checks_slips_by_hand_and_reads_the_workers_and_the_workshop_back(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    # a county registered through the API, then an official verifies one slip by hand and rejects the other
    code = f"{int(county_code) + 50:06d}"
    r = await http.post("/counties", headers={"Authorization": f"Bearer {admin_token}"},
                        json={"code": code, "name": "崇义县", "province": "江西省"})
    assert r.status_code == 201, r.text
    scene = await build_scene(http, services, code, admin_token, workers=2)
    r = await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "H-1", method="cash"),
                                   slip(scene, scene.workers[1], "2024-03", 60000, "H-2", method="cash")])
    slips = await _get(http, f"/organisations/{scene.org}/slips", scene.employer, r.json()["position"])
    first, second = sorted(slips["items"], key=lambda s: s["worker_name"])
    base = f"/counties/{code}/workshops/{scene.workshop}/slips/2024-03"
    r = await http.post(f"{base}/{first['slip_id']}/verification", headers=scene.official,
                        json={"reason": "现金发放签收单与考勤表核对一致"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{base}/{second['slip_id']}/rejection", headers=scene.official,
                        json={"reason": "签收单缺本人签字"})
    assert r.status_code == 201, r.text
    after = await _get(http, f"/organisations/{scene.org}/slips", scene.employer, r.json()["position"])
    assert sorted(s["status"] for s in after["items"]) == ["rejected", "verified"]

    workers = await _get(http, f"/counties/{code}/workshops/{scene.workshop}/workers", scene.official,
                         r.json()["position"], current="true")
    assert len(workers["items"]) == 2
    own = await _get(http, f"/organisations/{scene.org}/workshops/{scene.workshop}", scene.employer,
                     r.json()["position"])
    assert own["workshop"]["certified"] and len(own["current_workers"]) == 2
