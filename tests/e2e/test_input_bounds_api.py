"""Values no read model could use are refused at the door (422 naming the field), and nothing is written: a slip
for month 9999-12 has no month after it, an amount past ``bigint`` cannot be stored, a date at the calendar's edge
cannot be matched within a window. Each of these, once accepted, stopped the employment projection for good."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.test_employment_api import build_scene, slip, upload
from tests.helpers import households_csv
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
                        json={"month": "9999-12", "kind": "rent", "amount_fen": 100, "evidence": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "month", r.text
    # an amount past the bounds is refused by the request schema, which states them
    r = await http.post(f"{url}/costs", headers=scene.employer,
                        json={"month": "2024-03", "kind": "rent", "amount_fen": 10**17, "evidence": "x"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "amount_fen", r.text
    r = await http.post(f"{url}/workers", headers=scene.employer, json={
        "name": "x", "id_number": scene.workers[0], "contract_type": "labour_contract", "start": "9999-12-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "start", r.text
    assert services.app.head_position() == before


NUL = "\u0000"


async def test_a_control_character_in_any_text_is_refused_and_nothing_is_written(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    """U+0000 cannot be stored in a PostgreSQL text column: accepted once, it stopped every projection copying it."""
    from tests.conftest import bearer

    scene = await build_scene(http, services, county_code, admin_token)
    before = services.app.head_position()
    url = f"/organisations/{scene.org}/workshops/{scene.workshop}"
    attempts = [
        (http.post(f"{url}/workers", headers=scene.employer, json={
            "name": f"工人{NUL}", "id_number": scene.workers[0], "contract_type": "labour_contract",
            "start": "2024-01-01"}), "name"),
        (http.post("/admin/tokens", headers=bearer(admin_token), json={
            "role": "county_official", "counties": [county_code], "label": f"x{NUL}"}), "label"),
        (http.post(f"/counties/{county_code}/workshops/{scene.workshop}/refusal", headers=scene.official,
                   json={"reason": f"no{NUL}"}), "reason"),
        (upload(http, scene, [{**slip(scene, scene.workers[0], "2024-03", 60000, "X-1"),
                               "bank_ref": f"R{NUL}"}]), "bank_ref"),
        (http.post(f"/organisations/{scene.org}/bank-statements", headers={**scene.employer,
                                                                          "Content-Type": "text/csv"},
                   content=f"date,amount_yuan,payee_name,payee_account,reference\n2024-03-28,600,工{NUL}人,,R\n"
                   .encode()), None),
        (http.post(f"/counties/{county_code}/household-imports", params={"filename": f"a{NUL}.csv"},
                   headers={**scene.official, "Content-Type": "text/csv"},
                   content=households_csv(county_code, 1, start=500)), "filename"),
    ]
    for request, field in attempts:
        r = await request
        assert r.status_code in (400, 422), r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        if field is not None:
            assert field in r.text, r.text
    assert services.app.head_position() == before


def test_no_event_can_carry_a_control_character() -> None:
    from xiaofei.domain.errors import InvalidInput
    from xiaofei.persistence import MsgspecTranscoder

    transcoder = MsgspecTranscoder()
    assert transcoder.encode({"note": "两行\n\t文字", "path": "C:\\u0000"})  # a literal backslash-u is text
    for bad in ("a\u0000b", "a\u001fb", "a\u007fb"):
        with pytest.raises(InvalidInput):
            transcoder.encode({"name": bad})


@pytest.mark.parametrize("amount", [2**63 - 1, 2**63, 10**11 + 1, 10**30, -1])
async def test_other_income_past_the_bounds_is_refused_naming_the_amount_and_nothing_is_written(
        http: httpx.AsyncClient, services: Services, county_code: str, amount: int) -> None:
    """2^63−1 halted the county's income partition (OverflowError), 2^63 the registry partition (bigint)."""
    from tests.conftest import bearer, official_token

    official = bearer(official_token(services, county_code))
    r = await http.post(f"/counties/{county_code}/household-imports", headers={**official, "Content-Type": "text/csv"},
                        content=households_csv(county_code, 1))
    assert r.status_code in (200, 201, 202), r.text
    before = services.app.head_position()
    # When an official declares a household's other income past the bounds
    r = await http.post(f"/counties/{county_code}/households/{county_code}H0000000/other-income", headers=official,
                        json={"year": 2024, "income_type": "migrant_wages", "amount_fen": amount})
    # Then it is refused naming amount_fen, and nothing is written
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert r.json()["errors"][0]["field"] == "amount_fen", r.text
    assert services.app.head_position() == before
    # And the largest amount a line may carry is still accepted
    r = await http.post(f"/counties/{county_code}/households/{county_code}H0000000/other-income", headers=official,
                        json={"year": 2024, "income_type": "migrant_wages", "amount_fen": 10**11})
    assert r.status_code == 201, r.text
