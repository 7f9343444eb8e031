"""Import errors people can fix (issue 8 §4): one error per bad cell, and the accepted values as the file spells them."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import bearer, official_token
from tests.e2e.test_employment_api import build_scene
from tests.helpers import households_csv
from xiaofei.bootstrap import Services


@pytest.fixture
def official(services: Services, county_code: str) -> dict[str, str]:
    return bearer(official_token(services, county_code))


async def _import(http: httpx.AsyncClient, county: str, official: dict[str, str], text: str) -> httpx.Response:
    return await http.post(f"/counties/{county}/household-imports", content=text.encode(),
                           headers={**official, "Content-Type": "text/csv"})


def _replace_cell(text: str, line: int, old: str, new: str) -> str:
    lines = text.splitlines()
    assert old in lines[line]
    lines[line] = lines[line].replace(old, new)
    return "\n".join(lines) + "\n"


async def test_one_bad_poverty_cause_is_one_error_listing_the_chinese_causes(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    # given a household file whose second row names a cause the registry does not know
    text = _replace_cell(households_csv(county_code, 3, members=1).decode(), 3, "因病", "因穷")
    # when it is imported
    r = await _import(http, county_code, official, text)
    # then exactly one error names that cell, and lists the causes as the file writes them
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(4, "causes")], errors
    assert "'因穷'" in errors[0]["reason"] and "因病 (illness)" in errors[0]["reason"]
    assert "''" not in r.text


@pytest.mark.parametrize(("column_value", "bad", "field", "label"), [
    ("脱贫户", "贫困", "category", "监测对象 (monitored)"),
    ("户主", "户长", "relation", "户主 (head)"),
    ("普通劳动力", "强", "labour_capacity", "弱劳动力 (weak)"),
])
async def test_every_coded_column_lists_its_chinese_labels_once(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str], column_value: str, bad: str,
        field: str, label: str) -> None:
    text = _replace_cell(households_csv(county_code, 2, members=1).decode(), 1, column_value, bad)
    r = await _import(http, county_code, official, text)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, field)], errors
    assert label in errors[0]["reason"]


async def test_a_monitored_household_without_its_subtype_is_told_the_chinese_subtypes(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    text = _replace_cell(households_csv(county_code, 1, members=1).decode(), 1, "脱贫户", "监测对象")
    r = await _import(http, county_code, official, text)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "subtype")], errors
    assert "突发严重困难户 (sudden_hardship)" in errors[0]["reason"]


async def test_a_bad_cause_and_a_bad_village_of_one_household_are_both_reported_once(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    text = _replace_cell(households_csv(county_code, 1, members=1).decode(), 1, "因病", "因穷")
    text = _replace_cell(text, 1, f"{county_code}100001", "123")
    r = await _import(http, county_code, official, text)
    assert r.status_code == 422, r.text
    assert sorted((e["row"], e["field"]) for e in r.json()["errors"]) == [(2, "causes"), (2, "village_code")]


async def test_a_slip_paid_by_an_unknown_method_lists_the_chinese_methods(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    text = ("车间编号,月份,身份证号,应发工资,出勤天数,发放日期,发放方式,银行流水号\n"
            f"{scene.workshop},2024-03,{scene.workers[0]},600,22,2024-03-28,微信,R-1\n")
    r = await http.post(f"/organisations/{scene.org}/wage-slips", content=text.encode(),
                        headers={**scene.employer, "Content-Type": "text/csv", "Idempotency-Key": "method-test-1"})
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "method")]
    assert "银行代发 (bank)" in errors[0]["reason"] and "现金 (cash)" in errors[0]["reason"]


async def test_a_statement_row_with_a_bad_date_and_a_bad_amount_gets_one_error_for_each(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    text = "date,amount_yuan,payee_name,payee_account,reference\n2024-13-01,六百,工人,,R-1\n"
    r = await http.post(f"/organisations/{scene.org}/bank-statements", content=text.encode(),
                        headers={**scene.employer, "Content-Type": "text/csv"})
    assert r.status_code == 422, r.text
    assert sorted((e["row"], e["field"]) for e in r.json()["errors"]) == [(2, "amount_yuan"), (2, "date")]


async def test_a_file_without_identification_dates_is_refused_rather_than_dated_2014(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    # given the national export without its 识别日期 column
    lines = households_csv(county_code, 2, members=1).decode().splitlines()
    text = "\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n"
    assert "识别日期" not in text
    # when it is imported, then the column is named as missing (it became 2014-01-01 without a word)
    r = await _import(http, county_code, official, text)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(1, "effective_date")]
    assert "识别日期" in errors[0]["reason"]


async def test_an_empty_identification_date_is_an_error_on_its_row(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    text = _replace_cell(households_csv(county_code, 2, members=1).decode(), 2, ",2014-01-01", ",")
    r = await _import(http, county_code, official, text)
    assert r.status_code == 422, r.text
    assert [(e["row"], e["field"], e["reason"]) for e in r.json()["errors"]] == [(3, "effective_date", "is required")]


def _full_width(text: str) -> str:
    return text.translate({ord(d): ord(d) - ord("0") + ord("０") for d in "0123456789"})


async def test_one_households_rows_may_spell_its_identification_date_in_any_accepted_form(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    # given one household of three members whose 识别日期 cells spell 2016-03-01 three ways (docs/imports.md: dates)
    lines = households_csv(county_code, 1, members=3).decode().splitlines()
    spellings = ["2016-03-01", "2016/3/1", "2016年3月1日"]
    text = "\n".join([lines[0], *(line.rsplit(",", 1)[0] + "," + day for line, day in zip(lines[1:], spellings))])
    # when it is imported, then its rows agree: one household registered, identified on that day
    r = await _import(http, county_code, official, text + "\n")
    assert r.status_code == 201, r.text
    assert r.json()["registered"] == 1
    number = lines[1].split(",")[2]
    got = await http.get(f"/counties/{county_code}/households/{number}?min_position={r.json()['position']}",
                         headers=official)
    assert got.status_code == 200, got.text
    assert "2016-03-01" in got.text


async def test_a_household_whose_rows_name_two_different_dates_is_still_refused(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    lines = households_csv(county_code, 1, members=2).decode().splitlines()
    text = "\n".join([lines[0], lines[1].rsplit(",", 1)[0] + ",2016/3/1", lines[2].rsplit(",", 1)[0] + ",2016/3/2"])
    r = await _import(http, county_code, official, text + "\n")
    assert r.status_code == 422, r.text
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(3, "effective_date")]


async def test_full_width_digits_in_every_code_column_are_read_as_ordinary_ones(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    # given a file whose 县, 村, 户编号 and 人编号 cells were typed with full-width digits (docs/imports.md)
    lines = households_csv(county_code, 1, members=2).decode().splitlines()
    rows = []
    for line in lines[1:]:
        cells = line.split(",")
        cells[:4] = [_full_width(c) for c in cells[:4]]
        rows.append(",".join(cells))
    assert _full_width(f"{county_code}100001") in rows[0]
    # when it is imported, then it is registered under the ordinary digits
    r = await _import(http, county_code, official, "\n".join([lines[0], *rows]) + "\n")
    assert r.status_code == 201, r.text
    assert r.json()["registered"] == 1
    number = lines[1].split(",")[2]
    got = await http.get(f"/counties/{county_code}/households/{number}?min_position={r.json()['position']}",
                         headers=official)
    assert got.status_code == 200, got.text
    assert got.json()["village_code"] == f"{county_code}100001"
