"""Employment through real HTTP: the worked examples of DOMAIN §4 / issue 3, uploads and reconciliation."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest

from tests.conftest import bearer, official_token
from tests.helpers import households_csv, id_number
from xiaofei.bootstrap import Services
from xiaofei.domain.codes import uscc_check_char


@dataclass
class Scene:
    county: str
    org: str
    official: dict[str, str]
    employer: dict[str, str]
    workshop: str
    workers: list[str]  # ID numbers of registry members (category exited), hired in the workshop
    position: int
    services: Services | None = None


def days_pass(scene: Scene, days: int) -> None:
    """Let ``days`` pass for the claims service (its injectable clock): a public notice runs in real days, and a
    test cannot wait them out. The e2e conftest puts the real clock back after each test."""
    assert scene.services is not None
    claims = scene.services.claims
    before = claims.clock
    claims.clock = lambda: before() + timedelta(days=days)


def credit_code(county: str, n: int) -> str:
    first17 = f"9{1}{county}MA{n:05d}X"[:17].ljust(17, "0")
    return first17 + uscc_check_char(first17)


async def build_scene(http: httpx.AsyncClient, services: Services, county: str, admin_token: str, *,
                      workers: int = 1, certified_on: str | None = "2024-01-01", start: str = "2024-01-01",
                      org_n: int = 1) -> Scene:
    official = bearer(official_token(services, county))
    r = await http.post(f"/counties/{county}/policy/adoptions", headers=official, json={"preset": "shangyou-2017"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/counties/{county}/household-imports", headers={**official, "Content-Type": "text/csv"},
                        content=households_csv(county, workers, members=1))
    assert r.status_code == 201, r.text
    org = credit_code(county, org_n)
    r = await http.post(f"/counties/{county}/organisations", headers=official,
                        json={"credit_code": org, "name": "上犹县某服饰有限公司", "form": "enterprise"})
    assert r.status_code == 201, r.text
    r = await http.post("/admin/tokens", headers=bearer(admin_token),
                        json={"role": "employer", "organisation_id": org, "label": "employer"})
    assert r.status_code == 201, r.text
    employer = bearer(r.json()["token"])
    r = await http.post(f"/organisations/{org}/workshops", headers=employer, json={
        "name": "东山扶贫车间", "workshop_type": "factory", "village_code": f"{county}100001", "premises": "村委一楼"})
    assert r.status_code == 201, r.text
    workshop = r.json()["id"]
    ids_ = [id_number(county, h, born="19700115") for h in range(workers)]
    for i, number in enumerate(ids_):
        r = await http.post(f"/organisations/{org}/workshops/{workshop}/workers", headers=employer, json={
            "name": f"工人{i}", "id_number": number, "contract_type": "labour_contract", "start": start})
        assert r.status_code == 201, r.text
    position = r.json()["position"]
    if certified_on:
        r = await http.post(f"/counties/{county}/workshops/{workshop}/certification", headers=official,
                            json={"plaque_number": "赣州扶贫车间-0427", "certified_on": certified_on})
        assert r.status_code == 201, r.text
        position = r.json()["position"]
    return Scene(county, org, official, employer, workshop, ids_, position, services)


def slip(scene: Scene, worker: str, month: str, gross_fen: int, ref: str, **extra: Any) -> dict[str, Any]:
    return {"workshop_id": scene.workshop, "month": month, "id_number": worker, "gross_fen": gross_fen,
            "days_worked": 22, "pay_date": f"{month}-28", "method": "bank", "bank_ref": ref, **extra}


async def upload(http: httpx.AsyncClient, scene: Scene, slips: list[dict[str, Any]], key: str | None = None
                 ) -> httpx.Response:
    return await http.post(f"/organisations/{scene.org}/wage-slips", json={"slips": slips},
                           headers={**scene.employer, "Idempotency-Key": key or uuid.uuid4().hex})


async def statement(http: httpx.AsyncClient, scene: Scene, lines: list[tuple[str, str, str, str]]) -> httpx.Response:
    text = "date,amount_yuan,payee_name,payee_account,reference\n" + "".join(
        f"{d},{a},工人,{acct},{ref}\n" for d, a, acct, ref in lines)
    return await http.post(f"/organisations/{scene.org}/bank-statements", content=text.encode(),
                           headers={**scene.employer, "Content-Type": "text/csv"})


async def entitlements(http: httpx.AsyncClient, scene: Scene, position: int, month: str) -> dict[str, dict[str, Any]]:
    r = await http.get(f"/organisations/{scene.org}/entitlements", headers=scene.employer,
                       params={"month": month, "min_position": position})
    assert r.status_code == 200, r.text
    return {line["subsidy"]: line for line in r.json()["items"]}


def reproduce(line: dict[str, Any]) -> int:
    """Recompute a line's amount from the numbers in its explanation alone."""
    inputs = line["explanation"]["inputs"]
    if line["subsidy"] == "worker_wage":
        if not line["eligible"]:
            return 0
        amount = int((Decimal(inputs["rate"]) * inputs["gross_fen"]).quantize(Decimal(1), ROUND_HALF_UP))
        return min(amount, inputs["cap_fen"]) if inputs["cap_fen"] is not None else amount
    return int((Decimal(inputs["ratio"]) * inputs["worker_subsidy_fen"]).quantize(Decimal(1), ROUND_HALF_UP))


async def test_shangyou_worked_example_600_yuan_gives_120_and_120(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    r = await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "B-0001")])
    assert r.status_code == 201, r.text
    assert r.json()["reported"] == 1
    r = await statement(http, scene, [("2024-03-28", "600.00", "", "B-0001")])
    assert r.status_code == 201, r.text
    assert r.json()["matched"] == 1
    lines = await entitlements(http, scene, r.json()["position"], "2024-03")
    worker, employer = lines["worker_wage"], lines["employer_match"]
    assert (worker["amount_fen"], employer["amount_fen"]) == (12000, 12000)
    assert worker["payee"] == "worker" and employer["payee"] == "employer"
    explanation = worker["explanation"]
    rate = next(p for p in explanation["parameters"] if p["name"] == "subsidy.worker_wage_rate")
    assert rate["value"] == "0.20" and rate["source"].startswith("preset shangyou-2017")
    assert rate["effective_from"] == "2017-01-01"
    assert explanation["slip"]["slip_id"] == worker["slip_id"] and explanation["slip"]["version"] == 1
    assert explanation["arithmetic"][0] == "0.20 × 600.00元 = 120.00元 (half-up to the fen)"
    assert all(c["passed"] for c in explanation["checks"])
    for line in lines.values():
        assert reproduce(line) == line["amount_fen"]


async def test_an_unverified_slip_earns_nothing_and_says_why(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    r = await upload(http, scene, [slip(scene, scene.workers[0], "2024-04", 60000, "B-0402")])
    lines = await entitlements(http, scene, r.json()["position"], "2024-04")
    worker = lines["worker_wage"]
    assert worker["amount_fen"] == 0 and not worker["eligible"] and lines["employer_match"]["amount_fen"] == 0
    failed = [c for c in worker["explanation"]["checks"] if not c["passed"]]
    assert [c["detail"] for c in failed] == ["not verified by bank statement"]
    assert reproduce(worker) == 0
    r = await http.get(f"/organisations/{scene.org}/unmatched-slips", headers=scene.employer)
    assert [s["bank_ref"] for s in r.json()["items"]] == ["B-0402"]


async def test_ten_workers_for_three_months_makes_a_workshop_eligible_in_the_third_month(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=10, certified_on=None)
    months = ["2024-01", "2024-02", "2024-03", "2024-04"]
    rows = [slip(scene, w, m, 150000, f"R{m}{i}") for m in months for i, w in enumerate(scene.workers)]
    r = await upload(http, scene, rows)
    assert r.status_code == 201, r.text
    # the bank proves every slip but one worker's April slip: an unverified month does not count
    r = await statement(http, scene, [(f"{m}-28", "1500", "", f"R{m}{i}") for m in months for i in range(10)
                                      if (m, i) != ("2024-04", 9)])
    assert r.json()["matched"] == 39
    r = await http.get(f"/counties/{county_code}/workshops/{scene.workshop}/certification-months",
                       headers=scene.official, params={"min_position": r.json()["position"]})
    assert r.status_code == 200, r.text
    by_month = {m["month"]: m for m in r.json()}
    assert [by_month[m]["meets_criteria"] for m in months] == [False, False, True, False]
    assert by_month["2024-03"]["qualifying_workers"] == 10
    assert by_month["2024-04"]["qualifying_workers"] == 9
    assert "≥10 eligible workers each with bank-verified slips" in by_month["2024-03"]["explanation"]["rule"]


async def test_nine_workers_never_make_a_workshop_eligible(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=9, certified_on=None)
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    r = await upload(http, scene, [slip(scene, w, m, 150000, f"N{m}{i}") for m in months
                                   for i, w in enumerate(scene.workers)])
    r = await statement(http, scene, [(f"{m}-28", "1500", "", f"N{m}{i}") for m in months for i in range(9)])
    r = await http.get(f"/counties/{county_code}/workshops/{scene.workshop}/certification-months",
                       headers=scene.official, params={"min_position": r.json()["position"]})
    assert [m["meets_criteria"] for m in r.json()] == [False] * 6
    assert {m["qualifying_workers"] for m in r.json()[2:]} == {9}


async def test_a_correction_makes_a_new_version_that_needs_its_own_proof(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    worker = scene.workers[0]
    await upload(http, scene, [slip(scene, worker, "2024-05", 60000, "C-1")])
    r = await statement(http, scene, [("2024-05-28", "600", "", "C-1")])
    lines = await entitlements(http, scene, r.json()["position"], "2024-05")
    assert lines["worker_wage"]["amount_fen"] == 12000
    r = await upload(http, scene, [slip(scene, worker, "2024-05", 50000, "C-2")])
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "correction_reason"
    r = await upload(http, scene, [slip(scene, worker, "2024-05", 50000, "C-2", correction_reason="overtime twice")])
    assert r.status_code == 201 and r.json()["corrected"] == 1
    lines = await entitlements(http, scene, r.json()["position"], "2024-05")
    assert lines["worker_wage"]["slip_version"] == 2 and lines["worker_wage"]["amount_fen"] == 0
    r = await statement(http, scene, [("2024-05-29", "500", "", "C-2")])
    lines = await entitlements(http, scene, r.json()["position"], "2024-05")
    assert (lines["worker_wage"]["amount_fen"], lines["employer_match"]["amount_fen"]) == (10000, 10000)


async def test_decertification_stops_entitlements_from_that_date(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    w = scene.workers[0]
    await upload(http, scene, [slip(scene, w, "2024-06", 60000, "D-6"), slip(scene, w, "2024-07", 60000, "D-7")])
    await statement(http, scene, [("2024-06-28", "600", "", "D-6"), ("2024-07-28", "600", "", "D-7")])
    r = await http.post(f"/counties/{county_code}/workshops/{scene.workshop}/decertification", headers=scene.official,
                        json={"effective_date": "2024-07-15", "reason": "stopped hiring poor workers"})
    assert r.status_code == 201
    june = await entitlements(http, scene, r.json()["position"], "2024-06")
    july = await entitlements(http, scene, r.json()["position"], "2024-07")
    assert june["worker_wage"]["amount_fen"] == 12000
    assert july["worker_wage"]["amount_fen"] == 0
    assert "decertified from 2024-07-15" in str(july["worker_wage"]["explanation"]["checks"])


async def test_a_worker_not_in_the_registry_is_staff_but_never_subsidised(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    stranger = id_number(county_code, 999, born="19800101")
    r = await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/workers", headers=scene.employer,
                        json={"name": "外来工", "id_number": stranger, "contract_type": "service_agreement",
                              "start": "2024-01-01"})
    assert r.status_code == 201
    await upload(http, scene, [slip(scene, stranger, "2024-03", 60000, "S-1")])
    r = await statement(http, scene, [("2024-03-28", "600", "", "S-1")])
    lines = await entitlements(http, scene, r.json()["position"], "2024-03")
    assert lines["worker_wage"]["amount_fen"] == 0
    assert "staff, but never subsidised" in str(lines["worker_wage"]["explanation"]["checks"])


async def test_the_same_idempotency_key_and_content_is_a_no_op(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    rows = [slip(scene, scene.workers[0], "2024-08", 60000, "I-1")]
    first = await upload(http, scene, rows, key="payroll-2024-08-a")
    before = services.app.head_position()
    again = await upload(http, scene, rows, key="payroll-2024-08-a")
    assert again.status_code == 201 and again.json()["replayed"] and again.json()["upload_id"] == first.json()["upload_id"]
    assert services.app.head_position() == before
    other = await upload(http, scene, [slip(scene, scene.workers[0], "2024-08", 70000, "I-1")], key="payroll-2024-08-a")
    assert other.status_code == 409
    fresh_key = await upload(http, scene, rows)
    assert fresh_key.json()["unchanged"] == 1 and fresh_key.json()["reported"] == 0


async def test_matching_by_payee_and_amount_within_three_days_and_listing_leftovers(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    w = scene.workers[0]
    await upload(http, scene, [slip(scene, w, "2024-09", 60000, "", method="bank", payee_account="6217001",
                                    bank_ref="X-not-on-statement")])
    r = await statement(http, scene, [("2024-10-01", "600.00", "6217001", "OTHER-REF"),
                                      ("2024-10-02", "123.45", "6217999", "STRAY")])
    assert r.json()["matched"] == 1
    r = await http.get(f"/organisations/{scene.org}/unmatched-statement-lines", headers=scene.employer,
                       params={"min_position": r.json()["position"]})
    assert [(x["reference"], x["amount_fen"]) for x in r.json()["items"]] == [("STRAY", 12345)]
    r = await http.get(f"/organisations/{scene.org}/unmatched-slips", headers=scene.employer)
    assert r.json()["items"] == []


@pytest.mark.parametrize(("body", "content_type", "field"), [
    ("workshop_id,month\nx,2024-01\n", "text/csv", "id_number"),  # missing required columns
    ("车间编号,月份,身份证号,应发工资,出勤天数,发放日期,发放方式,银行流水号\n{w},2024-13,{id},600,22,2024-01-28,银行,R\n",
     "text/csv", "month"),
    ("车间编号,月份,身份证号,应发工资,出勤天数,发放日期,发放方式,银行流水号\n{w},2024-01,{id},-600,22,2024-01-28,银行,R\n",
     "text/csv", "gross_yuan"),
    ("车间编号,月份,身份证号,应发工资,出勤天数,发放日期,发放方式,银行流水号\n{w},2024-01,{id},600,22,2024-02-30,银行,R\n",
     "text/csv", "pay_date"),
    ("车间编号,月份,身份证号,应发工资,出勤天数,发放日期,发放方式,银行流水号\n{w},2024-01,{id},600,22,2024-01-28,银行,R\n"
     "{w},2024-01,{id},600,22,2024-01-28,银行,R2\n", "text/csv", "id_number"),  # duplicate worker row
    ("not a workbook", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "file"),
    ("\udcff\udcfe\x00garbage\udc81", "text/csv", "file"),  # neither UTF-8 nor GB18030
])
async def test_bad_uploads_are_refused_with_row_and_field_and_write_nothing(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str,
        body: str, content_type: str, field: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    before = services.app.head_position()
    r = await http.post(f"/organisations/{scene.org}/wage-slips",
                        content=body.format(w=scene.workshop, id=scene.workers[0]).encode("gb18030", "surrogateescape"),
                        headers={**scene.employer, "Content-Type": content_type, "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"] == field for e in r.json()["errors"]), r.json()
    assert services.app.head_position() == before


async def test_gbk_csv_and_xlsx_uploads_are_accepted(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    from openpyxl import Workbook

    scene = await build_scene(http, services, county_code, admin_token)
    header = ["车间编号", "月份", "身份证号", "应发工资", "出勤天数", "发放日期", "发放方式", "银行流水号"]
    row = [scene.workshop, "2024-02", scene.workers[0], "600.00", "20", "2024-02-28", "银行", "G-1"]
    csv_text = ",".join(header) + "\n" + ",".join(row) + "\n"
    r = await http.post(f"/organisations/{scene.org}/wage-slips", content=csv_text.encode("gbk"),
                        headers={**scene.employer, "Content-Type": "text/csv", "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    sheet.append([scene.workshop, "2024-03", scene.workers[0], 600, 21, "2024-03-28", "bank", "G-2"])
    buffer = io.BytesIO()
    book.save(buffer)
    r = await http.post(f"/organisations/{scene.org}/wage-slips", content=buffer.getvalue(), headers={
        **scene.employer, "Idempotency-Key": uuid.uuid4().hex,
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    assert r.status_code == 201, r.text
    assert r.json()["reported"] == 1


async def test_a_50_mb_upload_is_refused_before_it_is_read(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    before = services.app.head_position()
    r = await http.post(f"/organisations/{scene.org}/wage-slips", content=b"a" * (50 * 1024 * 1024),
                        headers={**scene.employer, "Content-Type": "text/csv", "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert services.app.head_position() == before


async def test_what_if_recomputes_the_real_history_under_candidate_parameters_and_writes_nothing(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    rows = [slip(scene, w, m, 60000, f"W{m}{i}") for m in ("2024-03", "2024-04") for i, w in enumerate(scene.workers)]
    await upload(http, scene, rows)
    r = await statement(http, scene, [(f"{m}-28", "600", "", f"W{m}{i}") for m in ("2024-03", "2024-04")
                                      for i in range(2)])
    assert r.json()["matched"] == 4
    await entitlements(http, scene, r.json()["position"], "2024-03")
    before = services.app.head_position()
    r = await http.post(f"/counties/{county_code}/what-if", headers=scene.official, json={
        "period_from": "2024-03", "period_to": "2024-04",
        "overrides": [{"name": "subsidy.worker_wage_rate", "value": "0.30", "effective_from": "2024-04-01"}]})
    assert r.status_code == 200, r.text
    result = r.json()
    [diff] = result["employers"]
    # March stays 4 lines × 120元; April's two workers go to 180元 each, employer matching follows.
    assert diff["current_fen"] == 8 * 12000
    assert diff["candidate_fen"] == 4 * 12000 + 4 * 18000
    assert diff["difference_fen"] == 4 * 6000 and diff["lines_changed"] == 4
    assert (result["current_fen"], result["candidate_fen"], result["difference_fen"]) == (
        8 * 12000, 4 * 12000 + 4 * 18000, 4 * 6000)
    assert services.app.head_position() == before


async def test_what_if_covers_hiring_training_and_rent_and_leaves_the_live_rows_alone(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    worker = scene.workers[0]
    months = [f"2024-{m:02d}" for m in range(1, 7)]
    await upload(http, scene, [slip(scene, worker, m, 150000, f"A{m}") for m in months])
    await statement(http, scene, [(f"{m}-28", "1500", "", f"A{m}") for m in months])
    await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/trainings", headers=scene.employer,
                    json={"held_on": "2024-03-05", "course": "缝纫", "hours": 8,
                          "trainees": [{"name": "工人0", "id_number": worker}]})
    r = await http.post(f"/organisations/{scene.org}/workshops/{scene.workshop}/costs", headers=scene.employer,
                        json={"month": "2024-03", "kind": "rent", "amount_fen": 80000, "evidence": "租赁发票 No.1"})
    live = {(ln["subsidy"], ln["month"]): ln["amount_fen"] for ln in (await http.get(
        f"/organisations/{scene.org}/entitlements", headers=scene.employer,
        params={"min_position": r.json()["position"]})).json()["items"]}
    assert (live[("hiring_award", "2024-06")], live[("training", "2024-03")],
            live[("rent_utilities", "2024-03")]) == (100000, 30000, 40000)
    r = await http.post(f"/counties/{county_code}/what-if", headers=scene.official, json={
        "period_from": "2024-01", "period_to": "2024-06", "overrides": [
            {"name": "subsidy.hiring_award_fen", "value": "200000", "effective_from": "2023-01-01"},
            {"name": "subsidy.training_fen", "value": "50000", "effective_from": "2024-01-01"},
            {"name": "subsidy.rent_ratio", "value": "0.25", "effective_from": "2024-01-01"}]})
    assert r.status_code == 200, r.text
    by_subsidy = {s["subsidy"]: s for s in r.json()["by_subsidy"]}
    assert by_subsidy["hiring_award"]["difference_fen"] == 100000
    assert by_subsidy["training"]["difference_fen"] == 20000
    assert by_subsidy["rent_utilities"]["difference_fen"] == -20000
    assert by_subsidy["worker_wage"]["difference_fen"] == 0
    assert r.json()["difference_fen"] == 100000
    after = {(ln["subsidy"], ln["month"]): ln["amount_fen"] for ln in (await http.get(
        f"/organisations/{scene.org}/entitlements", headers=scene.employer)).json()["items"]}
    assert after == live


async def test_what_if_refuses_a_bad_candidate(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    r = await http.post(f"/counties/{county_code}/what-if", headers=scene.official, json={
        "period_from": "2024-03", "period_to": "2024-04",
        "overrides": [{"name": "subsidy.worker_wage_rate", "value": "lots", "effective_from": "2024-04-01"}]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "overrides[0].value"
