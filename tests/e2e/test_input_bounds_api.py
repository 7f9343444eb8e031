"""Values no read model could use are refused at the door (422 naming the field), and nothing is written: a slip
for month 9999-12 has no month after it, an amount past ``bigint`` cannot be stored, a date at the calendar's edge
cannot be matched within a window. Each of these, once accepted, stopped the employment projection for good."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.test_employment_api import build_scene, slip, upload
from xiaofei.bootstrap import Services


@pytest.mark.parametrize(("change", "field"), [
    ({"month": "9999-12", "pay_date": "2099-12-28"}, "month"),
    ({"month": "1999-12", "pay_date": "2000-01-05"}, "month"),
    ({"gross_fen": 10**17}, "gross_fen"),
    ({"pay_date": "0001-01-01"}, "pay_date"),
])
async def test_a_slip_out_of_range_is_refused_and_nothing_is_written(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str,
        change: dict[str, object], field: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    before = services.app.head_position()
    r = await upload(http, scene, [{**slip(scene, scene.workers[0], "2024-03", 60000, "X-1"), **change}])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in r.json()["errors"]}
    assert services.app.head_position() == before


@pytest.mark.parametrize(("line", "field"), [
    ("0001-01-02,600,工人,,R", "date"),
    ("9999-12-31,600,工人,,R", "date"),
    ("2024-03-28,100000000000000000,工人,,R", "amount_yuan"),
])
async def test_a_statement_line_out_of_range_is_refused_and_nothing_is_written(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str, line: str,
        field: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    before = services.app.head_position()
    r = await http.post(f"/organisations/{scene.org}/bank-statements",
                        content=f"date,amount_yuan,payee_name,payee_account,reference\n{line}\n".encode(),
                        headers={**scene.employer, "Content-Type": "text/csv"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    assert services.app.head_position() == before


async def test_costs_and_hires_out_of_range_are_refused(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    before = services.app.head_position()
    url = f"/organisations/{scene.org}/workshops/{scene.workshop}"
    r = await http.post(f"{url}/costs", headers=scene.employer,
                        json={"month": "9999-12", "kind": "rent", "amount_fen": 10**17, "evidence": "x"})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} >= {"month", "amount_fen"}, r.text
    r = await http.post(f"{url}/workers", headers=scene.employer, json={
        "name": "x", "id_number": scene.workers[0], "contract_type": "labour_contract", "start": "9999-12-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "start", r.text
    assert services.app.head_position() == before
