"""The public notice (公示) of a claim cannot be skipped: it starts when it is really published, approval waits
for ``claim.notice_days`` and for every objection to be resolved, payment comes on or after approval."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from tests.e2e.test_employment_api import days_pass
from tests.e2e.test_claims_api import claim_view, claims_of, file, finish_review, notice_days, shanghai_today
from tests.e2e.test_employment_api import Scene, build_scene, slip, statement, upload
from xiaofei.application.claims import ClaimService
from xiaofei.bootstrap import Services
from xiaofei.domain.clock import business_today


async def _filed_claim(http: httpx.AsyncClient, services: Services, county: str, admin_token: str
                       ) -> tuple[Scene, dict]:  # type: ignore[type-arg]
    scene = await build_scene(http, services, county, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "N-1")])
    await statement(http, scene, [("2024-03-28", "600", "", "N-1")])
    r = await file(http, scene, "2024-03")
    assert r.status_code == 201, r.text
    claim = (await claims_of(http, scene, r.json()["position"]))[0]
    await finish_review(http, scene, claim["claim_id"])  # the notice follows the county's review
    return scene, claim


def _day(offset: int) -> str:
    return (date.fromisoformat(shanghai_today()) + timedelta(days=offset)).isoformat()


async def test_a_claim_filed_today_cannot_be_noticed_approved_and_paid_in_the_past(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    """Reproduces: filed today, noticed "on 2024-01-01", approved "2024-01-08", paid "2024-01-09"."""
    scene, claim = await _filed_claim(http, services, county_code, admin_token)
    base = f"/counties/{county_code}/claims/{claim['claim_id']}"
    r = await http.post(f"{base}/notice", headers=scene.official, json={"published_on": "2024-01-01"})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "published_on"
    assert f"before the claim was filed on {shanghai_today()}" in r.json()["detail"]
    r = await http.post(f"{base}/notice", headers=scene.official, json={"published_on": _day(1)})
    assert r.status_code == 422 and "future" in r.json()["detail"]
    r = await http.post(f"{base}/approval", headers=scene.official, json={"approved_on": "2024-01-08"})
    assert r.status_code == 409  # no notice yet
    r = await http.post(f"{base}/payment", headers=scene.official, json={"paid_on": "2024-01-09", "references": {}})
    assert r.status_code == 409

    # published today (no date: the server's today in Asia/Shanghai), the 7-day default runs through today + 7 (the
    # first day is not counted): approval from today + 8
    r = await http.post(f"{base}/notice", headers=scene.official, json={})
    assert r.status_code == 201, r.text
    view = await claim_view(http, scene, claim["claim_id"], r.json()["position"])
    assert (view["status"], view["notice_published_on"], view["notice_ends"]) == (
        "in_notice", shanghai_today(), _day(7))
    for approved_on in ("2024-01-08", shanghai_today()):
        r = await http.post(f"{base}/approval", headers=scene.official, json={"approved_on": approved_on})
        assert r.status_code == 422 and f"runs through {_day(7)}" in r.json()["detail"], r.text
    r = await http.post(f"{base}/approval", headers=scene.official, json={})
    assert r.status_code == 422 and f"the earliest is {_day(8)}" in r.json()["detail"]
    r = await http.post(f"{base}/approval", headers=scene.official, json={"approved_on": _day(8)})
    assert r.status_code == 422 and "future" in r.json()["detail"]
    r = await http.post(f"{base}/notice", headers=scene.official, json={})
    assert r.status_code == 409  # published once


async def test_objections_lodged_during_the_notice_must_be_resolved_before_approval(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene, claim = await _filed_claim(http, services, county_code, admin_token)
    await notice_days(http, scene, 1)
    base = f"/counties/{county_code}/claims/{claim['claim_id']}"
    r = await http.post(f"{base}/objections", headers=scene.official, json={"text": "工人三月不在车间"})
    assert r.status_code == 409  # no notice yet
    assert (await http.post(f"{base}/notice", headers=scene.official, json={})).status_code == 201

    r = await http.post(f"{base}/objections", headers=scene.official, json={"text": "工人三月不在车间"})
    assert r.status_code == 201, r.text
    assert r.json()["number"] == 1
    r = await http.post(f"{base}/objections", headers=scene.official,
                        json={"text": "late", "lodged_on": _day(-1)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lodged_on"
    r = await http.post(f"{base}/objections", headers=scene.employer, json={"text": "x"})
    assert r.status_code == 403

    days_pass(scene, 2)  # the one-day notice has run (through tomorrow): what holds approval back is the objection
    r = await http.post(f"{base}/approval", headers=scene.official, json={})
    assert r.status_code == 409, r.text
    assert "resolve every objection before approval" in r.json()["detail"] and "#1" in r.json()["detail"]

    r = await http.post(f"{base}/objections/2/resolution", headers=scene.official, json={"resolution": "x"})
    assert r.status_code == 404
    r = await http.post(f"{base}/objections/1/resolution", headers=scene.official,
                        json={"resolution": "考勤与银行流水核实：工人在岗，异议不成立"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{base}/objections/1/resolution", headers=scene.official, json={"resolution": "again"})
    assert r.status_code == 409

    r = await http.post(f"{base}/approval", headers=scene.official, json={})
    assert r.status_code == 201, r.text
    approved_at = r.json()["position"]
    r = await http.post(f"{base}/objections", headers=scene.official, json={"text": "too late"})
    assert r.status_code == 409  # approved: the notice is over
    r = await http.post(f"{base}/payment", headers=scene.official, json={"paid_on": _day(-1), "references": {}})
    assert r.status_code == 422 and "before the approval" in r.json()["detail"]

    view = await claim_view(http, scene, claim["claim_id"], approved_at)
    [objection] = view["objections"]
    assert (objection["number"], objection["text"], objection["lodged_on"]) == (1, "工人三月不在车间", shanghai_today())
    assert objection["resolution"].startswith("考勤") and objection["resolved_on"] == _day(2)
    assert objection["lodged_by"].startswith("token:") and objection["resolved_by"].startswith("token:")


async def test_the_services_take_today_from_their_clock_in_asia_shanghai(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    """At 00:30 Beijing time (16:30 UTC the day before) a notice dated the Beijing date is not "in the future"."""
    scene, _ = await _filed_claim(http, services, county_code, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-04", 60000, "N-2")])
    r = await statement(http, scene, [("2024-04-28", "600", "", "N-2")])
    utc_day = datetime.now(UTC).date()
    instant = datetime(utc_day.year, utc_day.month, utc_day.day, 16, 30, tzinfo=UTC)
    beijing = utc_day + timedelta(days=1)
    assert business_today(instant) == beijing
    at_half_past_midnight = ClaimService(services.app, services.params, services.policy, clock=lambda: instant)
    claim, _ = at_half_past_midnight.file(scene.org, county_code, "2024-04", "2024-04", "token:test")
    assert claim.filed_on == beijing
    at_half_past_midnight.start_review(county_code, claim.id, "token:test")
    at_half_past_midnight.finish_review(county_code, claim.id, "token:test")
    at_half_past_midnight.publish_notice(county_code, claim.id, beijing, "token:test")
    view = await claim_view(http, scene, str(claim.id), services.app.head_position())
    assert (view["filed_on"], view["notice_published_on"]) == (beijing.isoformat(), beijing.isoformat())
