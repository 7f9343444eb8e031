"""Bank matching both ways (statement before or after the slips), by reference, account or name, through HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.e2e.test_employment_api import Scene, build_scene, entitlements, slip, upload
from xiaofei.bootstrap import Services


async def bank_statement(http: httpx.AsyncClient, scene: Scene,
                         lines: list[tuple[str, str, str, str, str]]) -> httpx.Response:
    """Lines of (date, amount 元, payee name, payee account, reference)."""
    text = "date,amount_yuan,payee_name,payee_account,reference\n" + "".join(
        f"{d},{a},{name},{acct},{ref}\n" for d, a, name, acct, ref in lines)
    return await http.post(f"/organisations/{scene.org}/bank-statements", content=text.encode(),
                           headers={**scene.employer, "Content-Type": "text/csv"})


async def unmatched(http: httpx.AsyncClient, scene: Scene, position: int) -> tuple[list[Any], list[Any]]:
    lines = await http.get(f"/organisations/{scene.org}/unmatched-statement-lines", headers=scene.employer,
                           params={"min_position": position})
    slips = await http.get(f"/organisations/{scene.org}/unmatched-slips", headers=scene.employer,
                           params={"min_position": position})
    assert lines.status_code == 200 and slips.status_code == 200
    return ([(x["reference"], x["amount_fen"]) for x in lines.json()["items"]],
            [(s["month"], s["version"]) for s in slips.json()["items"]])


async def test_a_statement_uploaded_before_its_slips_verifies_them_when_they_arrive(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    # given a statement whose payments are not on file yet
    r = await bank_statement(http, scene, [("2024-03-28", "600.00", "工人0", "", "E-1"),
                                           ("2024-03-28", "700.00", "工人1", "", "E-2"),
                                           ("2024-03-28", "999.00", "房东", "6222", "RENT-3")])
    assert r.status_code == 201 and r.json()["matched"] == 0, r.text
    lines, _ = await unmatched(http, scene, r.json()["position"])
    assert len(lines) == 3
    # when the slips arrive
    r = await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "E-1"),
                                   slip(scene, scene.workers[1], "2024-03", 70000, "E-2")])
    # then they are verified at once, and only the rent payment is left over
    assert r.status_code == 201 and r.json()["verified"] == 2, r.text
    assert (await entitlements(http, scene, r.json()["position"], "2024-03"))["worker_wage"]["eligible"]
    lines, slips = await unmatched(http, scene, r.json()["position"])
    assert lines == [("RENT-3", 99900)] and slips == []


async def test_a_slip_corrected_and_re_paid_two_months_later_matches_its_re_payment(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    w = scene.workers[0]
    await upload(http, scene, [slip(scene, w, "2024-03", 60000, "F-1", payee_account="6217001")])
    r = await bank_statement(http, scene, [("2024-03-28", "600", "工人0", "6217001", "F-1")])
    assert r.json()["matched"] == 1
    # the March slip is corrected in June and the difference is re-paid with the whole corrected net on 2024-06-10
    r = await upload(http, scene, [slip(scene, w, "2024-03", 75000, "F-1-NEW", payee_account="6217001",
                                        pay_date="2024-06-10", correction_reason="overtime left out")])
    assert r.json()["corrected"] == 1 and r.json()["verified"] == 0
    # the June statement (June, May and April payrolls would be its only candidates before) proves it by account
    r = await bank_statement(http, scene, [("2024-06-12", "750", "工人0", "6217001", "BANK-INTERNAL-7")])
    assert r.json()["matched"] == 1, r.text
    march = await entitlements(http, scene, r.json()["position"], "2024-03")
    assert march["worker_wage"]["slip_version"] == 2 and march["worker_wage"]["amount_fen"] == 15000
    assert "matched by payee account" in str(march["worker_wage"]["explanation"]["checks"])


async def test_a_correction_arriving_after_its_re_payment_is_matched_by_reference_whatever_the_month(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    w = scene.workers[0]
    await upload(http, scene, [slip(scene, w, "2024-03", 60000, "G-1")])
    r = await bank_statement(http, scene, [("2024-03-28", "600", "工人0", "", "G-1"),
                                           ("2024-08-20", "800", "工人0", "", "G-1-REPAY")])
    assert r.json()["matched"] == 1
    r = await upload(http, scene, [slip(scene, w, "2024-03", 80000, "G-1-REPAY", pay_date="2024-05-31",
                                        correction_reason="piece count corrected")])
    assert r.json()["verified"] == 1, r.text
    lines, slips = await unmatched(http, scene, r.json()["position"])
    assert lines == [] and slips == []


async def test_a_line_without_an_account_matches_by_payee_name_and_amount_within_the_window(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-04", 60000, "NOT-ON-STATEMENT-1"),
                               slip(scene, scene.workers[1], "2024-04", 60000, "NOT-ON-STATEMENT-2")])
    r = await bank_statement(http, scene, [("2024-04-30", "600.00", " 工人0 ", "", "代发工资"),  # 2 days: within ±3
                                           ("2024-05-03", "600.00", "工人1", "", "代发工资")])  # 5 days: outside
    assert r.json()["matched"] == 1, r.text
    r2 = await http.get(f"/organisations/{scene.org}/entitlements", headers=scene.employer,
                        params={"month": "2024-04", "min_position": r.json()["position"]})
    wages = [x for x in r2.json()["items"] if x["subsidy"] == "worker_wage"]
    assert sorted(x["eligible"] for x in wages) == [False, True]
    assert "matched by payee name and amount" in str(next(x for x in wages if x["eligible"])["explanation"])
    lines, slips = await unmatched(http, scene, r.json()["position"])
    assert lines == [("代发工资", 60000)] and slips == [("2024-04", 1)]


async def test_one_statement_line_never_proves_two_slips_even_when_uploads_race(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=3)
    r = await bank_statement(http, scene, [("2024-05-28", "600", "工人0", "", "DUP-REF")])
    assert r.json()["matched"] == 0
    # two slips in one upload claim the same payment: one is proven
    r = await upload(http, scene, [slip(scene, scene.workers[0], "2024-05", 60000, "DUP-REF"),
                                   slip(scene, scene.workers[1], "2024-05", 60000, "DUP-REF")])
    assert r.json()["verified"] == 1
    # and a second line with that reference is raced for by three concurrent uploads of different payrolls
    r = await bank_statement(http, scene, [("2024-06-28", "600", "工人2", "", "DUP-REF-2")])
    results = await asyncio.gather(*(upload(http, scene, [slip(scene, scene.workers[2], m, 60000, "DUP-REF-2")])
                                     for m in ("2024-06", "2024-07", "2024-08")))
    assert [x.status_code for x in results] == [201, 201, 201]
    assert sum(x.json()["verified"] for x in results) == 1
    position = max(x.json()["position"] for x in results)
    lines, slips = await unmatched(http, scene, position)
    assert lines == []
    assert len(slips) == 3  # one of 2024-05, and two of the three raced months
    assert sorted(m for m, _ in slips)[0] == "2024-05"


async def test_the_same_statement_file_again_writes_nothing_new_and_tries_its_open_lines_again(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    lines = [("2024-07-28", "600", "工人0", "", "H-7")]
    first = await bank_statement(http, scene, lines)
    again = await bank_statement(http, scene, lines)
    assert again.json()["already_uploaded"] and again.json()["statement_id"] == first.json()["statement_id"]
    assert again.json()["matched"] == 0


async def test_an_overlapping_export_does_not_open_the_same_payment_twice(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    r = await http.post(f"/organisations/{scene.org}/workshops", headers=scene.employer, json={
        "name": "西山扶贫车间", "workshop_type": "home_based", "village_code": f"{county_code}100002", "premises": "x"})
    second = Scene(**{**scene.__dict__, "workshop": r.json()["id"]})
    worker = scene.workers[0]
    await http.post(f"/organisations/{scene.org}/workshops/{second.workshop}/workers", headers=scene.employer,
                    json={"name": "工人0", "id_number": worker, "contract_type": "labour_contract",
                          "start": "2024-01-01"})
    payment = ("2024-07-28", "600", "工人0", "", "D-1")
    r = await bank_statement(http, scene, [payment])
    # the next export overlaps the first: the same payment again, and one more
    r = await bank_statement(http, scene, [payment, ("2024-07-29", "100", "工人9", "", "D-9")])
    assert r.status_code == 201 and not r.json()["already_uploaded"], r.text
    # two slips that one payment could prove: only one is proven
    r = await upload(http, scene, [slip(scene, worker, "2024-07", 60000, "D-1")])
    r2 = await upload(http, second, [slip(second, worker, "2024-07", 60000, "D-1")])
    assert r.json()["verified"] + r2.json()["verified"] == 1, (r.text, r2.text)
