"""Employers see outcomes, not the registry; a worker registered in another county, through real HTTP."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.conftest import bearer, official_token
from tests.e2e.test_employment_api import build_scene, slip, statement, upload
from tests.helpers import households_csv, id_number
from xiaofei.bootstrap import Services


async def test_an_employer_hiring_a_resident_of_another_county_sees_outcomes_and_officials_see_by_county(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    # given a workshop in county A (rate 0.20) and a resident of county B (whose own rate is 0.50)
    scene = await build_scene(http, services, county_code, admin_token)
    home = county_code[:4] + "02"
    services.registry.register_county(home, f"测试县{home}", "测试省", "test")
    home_official = bearer(official_token(services, home))
    r = await http.post(f"/counties/{home}/household-imports", headers={**home_official, "Content-Type": "text/csv"},
                        content=households_csv(home, 1, members=1))
    assert r.status_code == 201, r.text
    r = await http.post(f"/counties/{home}/policy/parameters", headers=home_official, json={
        "name": "subsidy.worker_wage_rate", "value": "0.50", "effective_from": "2017-01-01",
        "source": "测试县 2017 第1号", "era": "campaign"})
    assert r.status_code == 201, r.text
    outsider = id_number(home, 0, born="19700115")
    r = await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/workers", headers=scene.employer,
                        json={"name": "外县工", "id_number": outsider, "contract_type": "labour_contract",
                              "start": "2024-01-01"})
    assert r.status_code == 201, r.text
    months = ("2024-01", "2024-02", "2024-03")
    await upload(http, scene, [slip(scene, w, m, 60000, f"X{m}{i}") for m in months
                               for i, w in enumerate((scene.workers[0], outsider))])
    r = await statement(http, scene, [(f"{m}-28", "600", "", f"X{m}{i}") for m in months for i in range(2)])
    assert r.json()["matched"] == 6, r.text
    position = r.json()["position"]
    r = await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                        json={"period_from": "2024-03", "period_to": "2024-03"})
    assert r.status_code == 201, r.text
    position = r.json()["position"]
    local_household, outsider_household = f"{county_code}H0000000", f"{home}H0000000"

    # when the employer reads its entitlements and claims
    r = await http.get(f"/organisations/{scene.org}/entitlements", headers=scene.employer,
                       params={"month": "2024-03", "min_position": position})
    employer_lines = r.json()["items"]
    claims = (await http.get(f"/organisations/{scene.org}/claims", headers=scene.employer)).json()["items"]
    # then it reads that each worker is registered and within age bounds, and nothing of the registry
    text = json.dumps([employer_lines, claims], ensure_ascii=False)
    for secret in (local_household, outsider_household, "exited (since", "age 5", "sex M", "member "):
        assert secret not in text, secret
    for wage in (x for x in employer_lines if x["subsidy"] == "worker_wage"):
        checks = {c["check"]: c["detail"] for c in wage["explanation"]["checks"]}
        assert checks["registered poor/monitored worker (eligible household category)"] == "yes"
        assert checks["age within bounds"] == "yes"
    # and the workshop county's rules decide: 0.20 × 600元, not the home county's 0.50
    assert {x["amount_fen"] for x in employer_lines if x["subsidy"] == "worker_wage"} == {12000}
    assert all(ln["explanation"].get("disclosure") for c in claims for ln in c["lines"])

    # the workshop county's official reads its own resident's registry details, and only the outcome and the
    # registry county for the other county's resident
    official = scene.official
    lines = (await http.get(f"/counties/{county_code}/entitlements", headers=official,
                            params={"month": "2024-03"})).json()["items"]
    wage = [x for x in lines if x["subsidy"] == "worker_wage"]
    texts = [json.dumps(x["explanation"], ensure_ascii=False) for x in wage]
    assert sum(local_household in t for t in texts) == 1
    assert not any(outsider_household in t for t in texts)
    assert sum(f"yes (registry of county {home})" in t for t in texts) == 1
    county_claims = json.dumps((await http.get(f"/counties/{county_code}/claims", headers=official)).json(),
                               ensure_ascii=False)
    assert local_household in county_claims and outsider_household not in county_claims

    # the home county's official cannot read another county's employer at all
    r = await http.get(f"/organisations/{scene.org}/entitlements", headers=home_official)
    assert r.status_code == 403
    # an auditor of both counties reads everything
    both = bearer(services.access.issue("auditor", [county_code, home], None, "city auditor", "test").secret)
    lines = (await http.get(f"/counties/{county_code}/entitlements", headers=both,
                            params={"month": "2024-03", "min_position": position})).json()["items"]
    text = json.dumps(lines, ensure_ascii=False)
    assert local_household in text and outsider_household in text


async def test_an_employer_reads_its_own_qualifying_workers_by_employment_record_not_by_registry(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2, certified_on=None)
    r = await upload(http, scene, [slip(scene, w, m, 150000, f"Q{m}{i}") for m in ("2024-01", "2024-02", "2024-03")
                                   for i, w in enumerate(scene.workers)])
    r = await statement(http, scene, [(f"{m}-28", "1500", "", f"Q{m}{i}") for m in ("2024-01", "2024-02", "2024-03")
                                      for i in range(2)])  # certification counts bank-verified months only
    r = await http.get(f"/organisations/{scene.org}/workshops/{scene.workshop}/certification-months",
                       headers=scene.employer, params={"min_position": r.json()["position"]})
    assert r.status_code == 200, r.text
    march = {m["month"]: m for m in r.json()}["2024-03"]
    assert march["qualifying_workers"] == 2 and not march["meets_criteria"]
    assert sorted(q["name"] for q in march["qualifying"]) == ["工人0", "工人1"]
    assert all("*" in q["id_masked"] for q in march["qualifying"])
    assert "id_hash" not in r.text and f"{county_code}H0000000" not in r.text
    other = await http.get(f"/organisations/{scene.org}/workshops/{uuid.uuid4()}/certification-months",
                           headers=scene.employer)
    assert other.status_code == 404
