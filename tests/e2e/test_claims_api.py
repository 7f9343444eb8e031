"""Claims through real HTTP: review, notice, approval, payment; no double claims; clawback after a correction;
a rejected line stays rejected.

Dates are real: a claim is filed today, so its notice is published today (Asia/Shanghai) or later. Tests that
need the whole path on one day give their county a notice of 0 days (a county parameter, like any county could
record); the 7-day default is exercised in tests/e2e/test_claim_notice_api.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.e2e.test_employment_api import Scene, build_scene, days_pass, slip, statement, upload
from xiaofei.bootstrap import Services

NOTICE_SOURCE = "上犹县人民政府办公室关于就业扶贫补贴申报公示的通知（上府办字〔2024〕12号）"


def shanghai_today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


async def notice_days(http: httpx.AsyncClient, scene: Scene, days: int) -> None:
    """The county's public notice lasts ``days`` from today on."""
    r = await http.post(f"/counties/{scene.county}/policy/parameters", headers=scene.official, json={
        "name": "claim.notice_days", "value": str(days), "effective_from": shanghai_today(), "source": NOTICE_SOURCE,
        "era": "transition"})
    assert r.status_code == 201, r.text


async def claims_of(http: httpx.AsyncClient, scene: Scene, position: int) -> list[dict]:  # type: ignore[type-arg]
    r = await http.get(f"/organisations/{scene.org}/claims", headers=scene.employer,
                       params={"min_position": position})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


async def claim_view(http: httpx.AsyncClient, scene: Scene, claim_id: str, position: int) -> dict:  # type: ignore[type-arg]
    return next(c for c in await claims_of(http, scene, position) if c["claim_id"] == claim_id)


async def file(http: httpx.AsyncClient, scene: Scene, month: str) -> httpx.Response:
    return await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                           json={"period_from": month, "period_to": month})


async def start_review(http: httpx.AsyncClient, scene: Scene, claim_id: str) -> None:
    r = await http.post(f"/counties/{scene.county}/claims/{claim_id}/review", headers=scene.official)
    assert r.status_code == 201, r.text


async def finish_review(http: httpx.AsyncClient, scene: Scene, claim_id: str) -> None:
    """The county's review, started here unless it was (to reject lines), then finished."""
    base = f"/counties/{scene.county}/claims/{claim_id}/review"
    r = await http.post(base, headers=scene.official)
    assert r.status_code == 201 or "in_review" in r.text, r.text
    r = await http.post(f"{base}/completion", headers=scene.official)
    assert r.status_code == 201, r.text


async def approve_and_pay(http: httpx.AsyncClient, scene: Scene, claim: dict) -> int:  # type: ignore[type-arg]
    """Review, notice today, approval and payment once the county's one-day notice has run (through tomorrow: the
    first day is not counted); returns the log position."""
    base = f"/counties/{scene.county}/claims/{claim['claim_id']}"
    await finish_review(http, scene, claim["claim_id"])
    r = await http.post(f"{base}/notice", headers=scene.official, json={})
    assert r.status_code == 201, r.text
    days_pass(scene, 2)
    r = await http.post(f"{base}/approval", headers=scene.official, json={})
    assert r.status_code == 201, r.text
    net: dict[str, int] = {}
    for line in claim["lines"]:
        if line["rejected_reason"] is None:
            net[line["payee"]] = net.get(line["payee"], 0) + line["amount_fen"]
    refs = {p: f"PAY-{i}" for i, p in enumerate(sorted(p for p, amount in net.items() if amount > 0))}
    r = await http.post(f"{base}/payment", headers=scene.official, json={"references": refs})
    assert r.status_code == 201, r.text
    return int(r.json()["position"])


async def test_a_paid_month_corrected_from_600_to_500_gives_clawbacks_of_20_in_the_next_claim(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    await notice_days(http, scene, 1)
    worker = scene.workers[0]
    await upload(http, scene, [slip(scene, worker, "2024-03", 60000, "P-1")])
    await statement(http, scene, [("2024-03-28", "600", "", "P-1")])
    r = await file(http, scene, "2024-03")
    assert r.status_code == 201, r.text
    assert (r.json()["lines"], r.json()["total_fen"]) == (2, 24000)
    first = (await claims_of(http, scene, r.json()["position"]))[0]
    assert {(ln["subsidy"], ln["kind"], ln["amount_fen"]) for ln in first["lines"]} == {
        ("worker_wage", "entitlement", 12000), ("employer_match", "entitlement", 12000)}
    assert first["lines"][0]["explanation"]["arithmetic"]
    assert (first["filed_on"], first["initiated_by"]) == (shanghai_today(), "employer")
    position = await approve_and_pay(http, scene, first)
    paid = (await claims_of(http, scene, position))[0]
    assert paid["status"] == "paid" and sorted(p["amount_fen"] for p in paid["payments"]) == [12000, 12000]
    tomorrow = (date.fromisoformat(shanghai_today()) + timedelta(days=1)).isoformat()
    after = (date.fromisoformat(shanghai_today()) + timedelta(days=2)).isoformat()
    assert paid["notice_published_on"] == shanghai_today()
    assert (paid["notice_ends"], paid["approved_on"], paid["paid_on"]) == (tomorrow, after, after)  # a one-day notice

    # never the same entitled amount twice
    r = await file(http, scene, "2024-03")
    assert r.status_code == 422 and "nothing to claim" in r.json()["detail"]

    # the slip is corrected to 500元 and the new version is proven by the bank
    r = await upload(http, scene, [slip(scene, worker, "2024-03", 50000, "P-2", correction_reason="overtime twice")])
    assert r.status_code == 201, r.text
    await statement(http, scene, [("2024-03-29", "500", "", "P-2")])
    r = await file(http, scene, "2024-08")  # the employer's next claim carries the adjustments
    assert r.status_code == 201, r.text
    assert r.json()["total_fen"] == -4000
    second = await claim_view(http, scene, r.json()["claim_id"], r.json()["position"])
    lines = {ln["subsidy"]: ln for ln in second["lines"]}
    for subsidy in ("worker_wage", "employer_match"):
        line = lines[subsidy]
        assert (line["kind"], line["amount_fen"]) == ("clawback", -2000)
        assert (line["entitled_fen"], line["previously_claimed_fen"]) == (10000, 12000)
        assert line["adjusts_claim"] == first["claim_id"] and line["slip_version"] == 2
        assert line["explanation"]["slip"]["version"] == 2

    # paying a claim that only claws back leaves recoveries to settle
    position = await approve_and_pay(http, scene, second)
    recoveries = (await http.get(f"/counties/{county_code}/recoveries", headers=scene.official,
                                 params={"min_position": position})).json()["items"]
    assert sorted((x["payee"].split(":")[0], x["outstanding_fen"]) for x in recoveries) == [
        ("employer", 2000), ("worker", 2000)]
    r = await http.post(f"/counties/{county_code}/recoveries/settlement", headers=scene.official, json={
        "organisation": scene.org, "payee": "employer", "amount_fen": 2000, "reference": "退回 #1"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/counties/{county_code}/recoveries/settlement", headers=scene.official, json={
        "organisation": scene.org, "payee": "employer", "amount_fen": 1, "reference": "again"})
    assert r.status_code == 404


async def test_a_rejected_line_stays_rejected_until_its_slip_is_corrected(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    """Given a line rejected in review ("worker was not on site"), later claims leave it out; a new slip version
    proven by the bank brings it back."""
    scene = await build_scene(http, services, county_code, admin_token)
    worker = scene.workers[0]
    await upload(http, scene, [slip(scene, worker, "2024-04", 60000, "R-1")])
    await statement(http, scene, [("2024-04-28", "600", "", "R-1")])
    r = await file(http, scene, "2024-04")
    claim = (await claims_of(http, scene, r.json()["position"]))[0]
    wage = next(ln for ln in claim["lines"] if ln["subsidy"] == "worker_wage")
    await start_review(http, scene, claim["claim_id"])
    r = await http.post(f"/counties/{county_code}/claims/{claim['claim_id']}/lines/{wage['line_no']}/rejection",
                        headers=scene.official, json={"reason": "worker was not on site"})
    assert r.status_code == 201, r.text

    # when the employer claims again, the rejected line is not re-included as arrears
    r = await file(http, scene, "2024-04")
    assert r.status_code == 422 and "nothing to claim" in r.json()["detail"]
    r = await file(http, scene, "2024-05")
    assert r.status_code == 422

    # the slip is corrected (a new version, proven by the bank): its facts changed, so it comes back
    r = await upload(http, scene, [slip(scene, worker, "2024-04", 55000, "R-2", correction_reason="days recounted")])
    assert r.status_code == 201, r.text
    await statement(http, scene, [("2024-04-29", "550", "", "R-2")])
    r = await file(http, scene, "2024-05")
    assert r.status_code == 201, r.text
    again = await claim_view(http, scene, r.json()["claim_id"], r.json()["position"])
    lines = {ln["subsidy"]: ln for ln in again["lines"]}
    back = lines["worker_wage"]
    assert (back["kind"], back["entitled_fen"], back["previously_claimed_fen"], back["amount_fen"]) == (
        "entitlement", 11000, 0, 11000)
    assert back["explanation"]["previously_rejected"]["claim_id"] == claim["claim_id"]
    assert back["explanation"]["previously_rejected"]["facts_then"]["slip_version"] == 1
    # the employer match was not rejected: it is adjusted to the new amount
    assert (lines["employer_match"]["kind"], lines["employer_match"]["amount_fen"]) == ("clawback", -1000)


async def test_an_official_can_reinstate_a_rejected_line(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-04", 60000, "S-1")])
    await statement(http, scene, [("2024-04-28", "600", "", "S-1")])
    r = await file(http, scene, "2024-04")
    claim = (await claims_of(http, scene, r.json()["position"]))[0]
    employer_line = next(ln for ln in claim["lines"] if ln["subsidy"] == "employer_match")
    base = f"/counties/{county_code}/claims/{claim['claim_id']}/lines/{employer_line['line_no']}"
    r = await http.post(f"{base}/reinstatement", headers=scene.official, json={"reason": "budget found"})
    assert r.status_code == 409 and "not rejected" in r.json()["detail"]
    await start_review(http, scene, claim["claim_id"])
    r = await http.post(f"{base}/rejection", headers=scene.official, json={"reason": "matching funds not budgeted"})
    assert r.status_code == 201, r.text
    r = await file(http, scene, "2024-04")
    assert r.status_code == 422

    r = await http.post(f"{base}/reinstatement", headers=scene.official, json={"reason": ""})
    assert r.status_code == 400  # a reason is required
    r = await http.post(f"{base}/reinstatement", headers=scene.employer, json={"reason": "please"})
    assert r.status_code == 403
    r = await http.post(f"{base}/reinstatement", headers=scene.official,
                        json={"reason": "matching funds budgeted in the supplementary budget"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{base}/reinstatement", headers=scene.official, json={"reason": "twice"})
    assert r.status_code == 409
    r = await file(http, scene, "2024-04")
    assert r.status_code == 201 and (r.json()["lines"], r.json()["total_fen"]) == (1, 12000)
    first = await claim_view(http, scene, claim["claim_id"], r.json()["position"])
    reinstated = next(ln for ln in first["lines"] if ln["line_no"] == employer_line["line_no"])
    assert reinstated["rejected_reason"] == "matching funds not budgeted"  # the rejection stands in that claim
    assert reinstated["reinstated_reason"] == "matching funds budgeted in the supplementary budget"


async def test_payment_needs_a_reference_for_every_payee(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    await notice_days(http, scene, 1)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-05", 60000, "M-1")])
    await statement(http, scene, [("2024-05-28", "600", "", "M-1")])
    r = await file(http, scene, "2024-05")
    claim = (await claims_of(http, scene, r.json()["position"]))[0]
    base = f"/counties/{county_code}/claims/{claim['claim_id']}"
    r = await http.post(f"{base}/payment", headers=scene.official, json={"references": {}})
    assert r.status_code == 409  # not approved yet
    await finish_review(http, scene, claim["claim_id"])
    assert (await http.post(f"{base}/notice", headers=scene.official, json={})).status_code == 201
    days_pass(scene, 2)
    assert (await http.post(f"{base}/approval", headers=scene.official, json={})).status_code == 201
    r = await http.post(f"{base}/payment", headers=scene.official, json={"references": {"employer": "E-1"}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "references"


async def test_a_line_a_later_claim_already_adjusts_cannot_be_rejected_in_the_older_claim(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    worker = scene.workers[0]
    await upload(http, scene, [slip(scene, worker, "2024-03", 60000, "O-1")])
    await statement(http, scene, [("2024-03-28", "600", "", "O-1")])
    r = await file(http, scene, "2024-03")
    first = (await claims_of(http, scene, r.json()["position"]))[0]
    await start_review(http, scene, first["claim_id"])
    await upload(http, scene, [slip(scene, worker, "2024-03", 50000, "O-2", correction_reason="overtime twice")])
    await statement(http, scene, [("2024-03-29", "500", "", "O-2")])
    r = await file(http, scene, "2024-04")  # carries the −20元 clawbacks linked to the first claim
    assert r.status_code == 201 and r.json()["total_fen"] == -4000, r.text
    line = next(ln for ln in first["lines"] if ln["subsidy"] == "worker_wage")
    r = await http.post(f"/counties/{scene.county}/claims/{first['claim_id']}/lines/{line['line_no']}/rejection",
                        headers=scene.official, json={"reason": "worker was not on site"})
    assert r.status_code == 409 and "later claim" in r.json()["detail"], r.text
