"""Employment money that an auditor can trust, through real HTTP: the reproductions of issue 6 (certification
history, membership dates, caps per worker-month, hiring parameters on the hire date, training once a year across
counties, flags that follow the current facts)."""

from __future__ import annotations

import httpx

from tests.conftest import bearer, official_token
from tests.e2e.test_employment_api import Scene, build_scene, entitlements, slip, statement, upload
from tests.helpers import id_number
from xiaofei.bootstrap import Services


async def _lines(http: httpx.AsyncClient, scene: Scene, position: int, subsidy: str) -> list[dict]:  # type: ignore[type-arg]
    r = await http.get(f"/organisations/{scene.org}/entitlements", headers=scene.employer,
                       params={"min_position": position})
    assert r.status_code == 200, r.text
    return [line for line in r.json()["items"] if line["subsidy"] == subsidy]


async def _paid(http: httpx.AsyncClient, scene: Scene, worker: str, months: list[str], gross_fen: int = 60000,
                prefix: str = "P") -> int:
    """Slips for ``months``, each proven by the bank; returns the log position."""
    r = await upload(http, scene, [slip(scene, worker, m, gross_fen, f"{prefix}{worker[-4:]}{m}") for m in months])
    assert r.status_code == 201, r.text
    r = await statement(http, scene, [(f"{m}-28", f"{gross_fen / 100:.2f}", "", f"{prefix}{worker[-4:]}{m}")
                                      for m in months])
    assert r.json()["matched"] == len(months), r.text
    return int(r.json()["position"])


async def test_a_second_certification_keeps_the_first_period(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    # given a workshop certified 2023-01-01, decertified 2023-06-01, with paid slips for March and April 2023
    scene = await build_scene(http, services, county_code, admin_token, certified_on="2023-01-01", start="2023-01-01")
    worker = scene.workers[0]
    base = f"/counties/{county_code}/workshops/{scene.workshop}"
    r = await http.post(f"{base}/decertification", headers=scene.official,
                        json={"effective_date": "2023-06-01", "reason": "fewer than 10 poor workers"})
    assert r.status_code == 201, r.text
    position = await _paid(http, scene, worker, ["2023-03", "2023-04", "2023-07"])
    # a new period cannot start inside the old one
    r = await http.post(f"{base}/certification", headers=scene.official,
                        json={"plaque_number": "P-2", "certified_on": "2023-05-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "certified_on"
    # when it is certified again from 2024-01-01
    r = await http.post(f"{base}/certification", headers=scene.official,
                        json={"plaque_number": "赣州扶贫车间-0999", "certified_on": "2024-01-01"})
    assert r.status_code == 201, r.text
    position = int(r.json()["position"])
    # then March and April 2023 are still entitled (the first period), July 2023 (the gap) is not
    for month, amount in (("2023-03", 12000), ("2023-04", 12000), ("2023-07", 0)):
        lines = await entitlements(http, scene, position, month)
        assert lines["worker_wage"]["amount_fen"] == amount, (month, lines["worker_wage"]["explanation"]["checks"])
    gap = (await entitlements(http, scene, position, "2023-07"))["worker_wage"]["explanation"]["checks"]
    assert any("decertified from 2023-06-01" in c["detail"] for c in gap)
    # and both periods can be read back, with plaque, dates and reason
    r = await http.get(f"{base}/certifications", headers=scene.official, params={"min_position": position})
    assert r.status_code == 200, r.text
    assert [(p["plaque_number"], p["certified_on"], p["ends_on"], p["end_reason"]) for p in r.json()] == [
        ("赣州扶贫车间-0427", "2023-01-01", "2023-06-01", "fewer than 10 poor workers"),
        ("赣州扶贫车间-0999", "2024-01-01", None, None)]


async def test_the_rent_clock_counts_from_the_first_certification(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, certified_on="2022-01-01", start="2022-01-01")
    base = f"/counties/{county_code}/workshops/{scene.workshop}"
    await http.post(f"{base}/decertification", headers=scene.official, json={"effective_date": "2022-06-01",
                                                                           "reason": "closed for repairs"})
    await http.post(f"{base}/certification", headers=scene.official, json={"plaque_number": "P-2",
                                                                         "certified_on": "2023-06-01"})
    await _paid(http, scene, scene.workers[0], ["2024-03"])
    r = await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/costs", headers=scene.employer,
                        json={"month": "2024-03", "kind": "rent", "amount_fen": 80000, "evidence": "租赁发票 No.9"})
    [line] = await _lines(http, scene, r.json()["position"], "rent_utilities")
    # month 27 since 2022-01 (the gap is not taken off): past the 24 months
    assert line["amount_fen"] == 0
    assert any("month 27 since first certified on 2022-01-01" in c["detail"] for c in line["explanation"]["checks"])


async def test_a_member_who_joined_in_june_earns_nothing_for_february(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    newcomer = id_number(county_code, 77, born="19850101")
    household = f"{county_code}H0000000"
    r = await http.post(f"/counties/{county_code}/households/{household}/members", headers=scene.official, json={
        "member": {"person_number": f"{household}09", "name": "新成员", "id_number": newcomer, "relation": "spouse",
                   "labour_capacity": "normal"}, "joined_on": "2024-06-01", "reason": "marriage"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/workers", headers=scene.employer,
                        json={"name": "新成员", "id_number": newcomer, "contract_type": "labour_contract",
                              "start": "2024-01-01"})
    assert r.status_code == 201, r.text
    position = await _paid(http, scene, newcomer, ["2024-02", "2024-06"])
    feb = (await entitlements(http, scene, position, "2024-02"))["worker_wage"]
    jun = (await entitlements(http, scene, position, "2024-06"))["worker_wage"]
    assert (feb["amount_fen"], jun["amount_fen"]) == (0, 12000)
    assert not feb["eligible"]


async def test_the_monthly_cap_applies_to_the_worker_across_two_workshops(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=scene.official, json={
        "name": "subsidy.worker_wage_cap_fen", "value": "15001", "effective_from": "2024-01-01",
        "source": "县人社局 2024 第2号", "era": "transition"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/organisations/{scene.org}/workshops", headers=scene.employer, json={
        "name": "西山扶贫车间", "workshop_type": "home_based", "village_code": f"{county_code}100002", "premises": "x"})
    second = Scene(**{**scene.__dict__, "workshop": r.json()["id"]})
    worker = scene.workers[0]
    await http.post(f"/organisations/{scene.org}/workshops/{second.workshop}/workers", headers=scene.employer,
                    json={"name": "工人0", "id_number": worker, "contract_type": "labour_contract",
                          "start": "2024-01-01"})
    await http.post(f"/counties/{county_code}/workshops/{second.workshop}/certification", headers=scene.official,
                    json={"plaque_number": "P-W2", "certified_on": "2024-01-01"})
    await _paid(http, scene, worker, ["2024-03"], 60000, "A")
    position = await _paid(http, second, worker, ["2024-03"], 40000, "B")
    lines = [ln for ln in await _lines(http, scene, position, "worker_wage") if ln["month"] == "2024-03"]
    # uncapped 120 + 80 = 200元 > 150.01元: shared 3:2 by largest remainder, summing to the cap exactly
    assert sorted(ln["amount_fen"] for ln in lines) == [6000, 9001]
    assert sum(ln["amount_fen"] for ln in lines) == 15001
    assert "monthly cap" in " ".join(lines[0]["explanation"]["arithmetic"])


async def test_minimum_days_count_the_whole_month(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    await http.post(f"/counties/{county_code}/policy/parameters", headers=scene.official, json={
        "name": "subsidy.worker_min_days", "value": "20", "effective_from": "2024-01-01",
        "source": "县人社局 2024 第3号", "era": "transition"})
    b = await build_scene(http, services, county_code, admin_token, org_n=2)
    worker = scene.workers[0]
    await http.post(f"/organisations/{b.org}/workshops/{b.workshop}/workers", headers=b.employer,
                    json={"name": "工人0", "id_number": worker, "contract_type": "labour_contract",
                          "start": "2024-01-01"})
    await upload(http, scene, [slip(scene, worker, "2024-03", 60000, "D-A", days_worked=12)])
    await statement(http, scene, [("2024-03-28", "600", "", "D-A")])
    await upload(http, b, [slip(b, worker, "2024-03", 40000, "D-B", days_worked=10)])
    r = await statement(http, b, [("2024-03-28", "400", "", "D-B")])
    # 12 + 10 = 22 days in the month: each slip passes although neither alone reaches 20
    lines = await entitlements(http, scene, r.json()["position"], "2024-03")
    assert lines["worker_wage"]["amount_fen"] == 12000
    assert (await entitlements(http, b, r.json()["position"], "2024-03"))["worker_wage"]["amount_fen"] == 8000


async def test_hiring_award_parameters_are_read_on_the_hire_date(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=scene.official, json={
        "name": "subsidy.hiring_award_fen", "value": "200000", "effective_from": "2024-03-01",
        "source": "县人社局 2024 第4号", "era": "transition"})
    assert r.status_code == 201, r.text
    position = await _paid(http, scene, scene.workers[0], [f"2024-{m:02d}" for m in range(1, 7)], 150000)
    [award] = await _lines(http, scene, position, "hiring_award")
    # hired 2024-01-01, before the raise: the award is the 1,000元 in force then
    assert (award["month"], award["amount_fen"]) == ("2024-06", 100000)
    assert award["explanation"]["hired_on"] == "2024-01-01"
    used = {p["name"]: p for p in award["explanation"]["parameters"]}
    assert used["subsidy.hiring_award_fen"]["value"] == "100000"


async def test_training_is_subsidised_once_a_year_whichever_county_trains(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    home = await build_scene(http, services, county_code, admin_token)
    other_county = f"{int(county_code) + 50:06d}"
    services.registry.register_county(other_county, "邻县", "测试省", "test")
    away = await build_scene(http, services, other_county, admin_token, org_n=3)
    worker = home.workers[0]  # registered in the home county
    r = await http.post(f"/organisations/{away.org}/workshops/{away.workshop}/workers", headers=away.employer,
                        json={"name": "工人0", "id_number": worker, "contract_type": "labour_contract",
                              "start": "2024-01-01"})
    assert r.status_code == 201, r.text
    for scene, day in ((home, "2024-03-05"), (away, "2024-05-10")):
        r = await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/trainings",
                            headers=scene.employer, json={"held_on": day, "course": "缝纫", "hours": 8,
                                                          "trainees": [{"name": "工人0", "id_number": worker}]})
        assert r.status_code == 201, r.text
    position = int(r.json()["position"])
    [first] = await _lines(http, home, position, "training")
    [second] = await _lines(http, away, position, "training")
    assert (first["amount_fen"], second["amount_fen"]) == (30000, 0)
    assert "already subsidised" in str(second["explanation"]["checks"])


async def test_correcting_a_reused_bank_reference_clears_its_flag(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    r = await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "DUP-1"),
                                   slip(scene, scene.workers[1], "2024-03", 60000, "DUP-1")])
    flags = (await http.get(f"/counties/{county_code}/flags", headers=scene.official,
                            params={"min_position": r.json()["position"], "kind": "bank_ref_reused"})).json()["items"]
    assert len(flags) == 1
    r = await upload(http, scene, [slip(scene, scene.workers[1], "2024-03", 60000, "DUP-2",
                                        correction_reason="wrong bank reference")])
    assert r.status_code == 201, r.text
    flags = (await http.get(f"/counties/{county_code}/flags", headers=scene.official,
                            params={"min_position": r.json()["position"], "kind": "bank_ref_reused"})).json()["items"]
    assert flags == []


async def test_a_worker_claimed_while_a_member_is_not_flagged_after_leaving(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    worker = id_number(county_code, 78, born="19850101")
    household = f"{county_code}H0000000"
    r = await http.post(f"/counties/{county_code}/households/{household}/members", headers=scene.official, json={
        "member": {"person_number": f"{household}08", "name": "成员", "id_number": worker, "relation": "child",
                   "labour_capacity": "normal"}, "joined_on": "2023-01-01"})
    assert r.status_code == 201, r.text
    await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/workers", headers=scene.employer,
                    json={"name": "成员", "id_number": worker, "contract_type": "labour_contract",
                          "start": "2024-01-01"})
    await _paid(http, scene, worker, ["2024-03"])
    r = await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                        json={"period_from": "2024-03", "period_to": "2024-03"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/counties/{county_code}/households/{household}/members/{household}08/removal",
                        headers=scene.official, json={"left_on": "2024-05-01", "reason": "moved away"})
    assert r.status_code == 201, r.text
    flags = (await http.get(f"/counties/{county_code}/flags", headers=scene.official,
                            params={"min_position": r.json()["position"], "kind": "unregistered_worker_claimed"}
                            )).json()["items"]
    assert flags == []  # a member on 2024-03-31, when the claimed month ended


async def test_an_official_of_the_county_reads_the_certification_history_and_no_one_else(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    url = f"/counties/{county_code}/workshops/{scene.workshop}/certifications"
    other = f"{int(county_code) + 60:06d}"
    services.registry.register_county(other, "别县", "测试省", "test")
    assert (await http.get(url, headers=bearer(official_token(services, other)))).status_code == 403
    assert (await http.get(f"/counties/{other}/workshops/{scene.workshop}/certifications",
                           headers=bearer(official_token(services, other)))).status_code == 404


async def test_a_hiring_award_moved_by_a_late_verification_is_claimed_once_and_a_vanished_one_is_clawed_back(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    worker = scene.workers[0]
    months = [f"2024-{m:02d}" for m in range(1, 8)]
    await upload(http, scene, [slip(scene, worker, m, 150000, f"H{m}") for m in months])
    # January is not proven yet: the award closes in July (February–July)
    await statement(http, scene, [(f"{m}-28", "1500", "", f"H{m}") for m in months[1:]])
    r = await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                        json={"period_from": "2024-07", "period_to": "2024-07"})
    assert r.status_code == 201, r.text
    # the late January statement moves the award to June (January–June)
    r = await statement(http, scene, [("2024-01-28", "1500", "", "H2024-01")])
    [award] = await _lines(http, scene, r.json()["position"], "hiring_award")
    assert award["month"] == "2024-06"
    r = await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                        json={"period_from": "2024-06", "period_to": "2024-06"})
    assert r.status_code == 201, r.text

    async def claimed_awards(position: int) -> list[int]:
        claims = (await http.get(f"/organisations/{scene.org}/claims", headers=scene.employer,
                                 params={"min_position": position})).json()["items"]
        return [ln["amount_fen"] for c in claims for ln in c["lines"] if ln["subsidy"] == "hiring_award"]

    assert sum(await claimed_awards(r.json()["position"])) == 100000  # claimed once, not 200,000
    # voiding April breaks every six-month run: the award vanishes and the next claim takes it back
    april = next(ln for ln in await _lines(http, scene, r.json()["position"], "worker_wage") if ln["month"] == "2024-04")
    r = await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/slips/2024-04/{april['slip_id']}/void",
                        headers=scene.employer, json={"reason": "reported for the wrong person"})
    assert r.status_code == 201, r.text
    assert await _lines(http, scene, r.json()["position"], "hiring_award") == []
    r = await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                        json={"period_from": "2024-08", "period_to": "2024-08"})
    assert r.status_code == 201, r.text
    assert sorted(await claimed_awards(r.json()["position"])) == [-100000, 100000]


async def test_a_rent_line_without_slips_follows_a_later_certification(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, certified_on=None)
    r = await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/costs", headers=scene.employer,
                        json={"month": "2024-03", "kind": "rent", "amount_fen": 80000, "evidence": "租赁发票 No.3"})
    [line] = await _lines(http, scene, r.json()["position"], "rent_utilities")
    assert not line["eligible"]
    r = await http.post(f"/counties/{county_code}/workshops/{scene.workshop}/certification", headers=scene.official,
                        json={"plaque_number": "P-R", "certified_on": "2024-01-01"})
    [line] = await _lines(http, scene, r.json()["position"], "rent_utilities")
    certified = next(c for c in line["explanation"]["checks"] if c["check"].startswith("workshop certified"))
    assert certified["passed"], line["explanation"]["checks"]


async def test_jilin_2018_counts_only_months_paid_at_least_the_local_minimum_wage(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=5, certified_on=None,
                              start="2019-01-01")
    adopt = {"preset": "jilin-2018"}
    r = await http.post(f"/counties/{county_code}/policy/adoptions", headers=scene.official, json=adopt)
    # the preset's "pay at least the local minimum wage" needs the county's own minimum wage first
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "workshop.min_monthly_wage_fen", r.text
    async def record(name: str, value: str) -> None:
        r = await http.post(f"/counties/{county_code}/policy/parameters", headers=scene.official, json={
            "name": name, "value": value, "effective_from": "2018-01-01", "source": "县人社局 2018 第5号"})
        assert r.status_code == 201, r.text

    await record("workshop.min_monthly_wage_fen", "158000")
    r = await http.post(f"/counties/{county_code}/policy/adoptions", headers=scene.official, json=adopt)
    assert r.status_code == 201, r.text
    await record("worker.eligible_categories", "poor,exited")  # the county's workers are 脱贫户
    months = [f"2019-{m:02d}" for m in range(1, 7)]
    # four workers paid 1,600元, one paid 1,500元: below the 1,580元 minimum wage
    for i, worker in enumerate(scene.workers):
        await _paid(http, scene, worker, months, 160000 if i else 150000, f"J{i}")
    r = await http.get(f"/counties/{county_code}/workshops/{scene.workshop}/certification-months",
                       headers=scene.official, params={"min_position": services.app.head_position()})
    june = next(m for m in r.json() if m["month"] == "2019-06")
    assert (june["qualifying_workers"], june["meets_criteria"]) == (4, False)  # jilin needs 5
    assert "paying at least 1580.00元 a month" in june["explanation"]["rule"]


async def test_an_award_that_moved_to_another_organisation_shows_only_its_own_claims(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    # found in review: an entitlement line matched claim lines by subject only, and a hiring award's subject is
    # the same key in every organisation it moves to: A read B's claim (claimed 100000, "filed", B's claim id)
    b = await build_scene(http, services, county_code, admin_token, org_n=2, certified_on="2023-01-01",
                          start="2023-01-01")
    a = await build_scene(http, services, county_code, admin_token, org_n=1)  # the same worker, hired 2024
    worker = a.workers[0]
    await _paid(http, b, worker, [f"2023-{m:02d}" for m in range(1, 7)], 150000, prefix="B")
    r = await http.post(f"/organisations/{b.org}/claims", headers=b.employer,
                        json={"period_from": "2023-04", "period_to": "2023-06"})  # the award's quarter
    assert r.status_code == 201, r.text
    await _paid(http, a, worker, [f"2024-{m:02d}" for m in range(1, 7)], 150000, prefix="A")
    slips = (await http.get(f"/organisations/{b.org}/slips", headers=b.employer,
                            params={"month": "2023-03", "min_position": r.json()["position"]})).json()["items"]
    r = await http.post(f"/organisations/{b.org}/workshops/{b.workshop}/slips/2023-03/{slips[0]['slip_id']}/void",
                        headers=b.employer, json={"reason": "paid to the wrong person"})
    assert r.status_code == 201, r.text
    [award] = await _lines(http, a, r.json()["position"], "hiring_award")  # it moved to A's 2024-06
    assert award["month"] == "2024-06" and award["amount_fen"] > 0
    assert (award["claimed_fen"], award["claim_status"], award["last_claim_id"]) == (0, "unclaimed", None)
