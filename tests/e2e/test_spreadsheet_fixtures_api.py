"""Spreadsheets as people really make them (issue 8 §4), read from files LibreOffice wrote (tests/fixtures/README.md):
date cells for months and days, thousands separators, full-width digits, GBK CSV with CRLF, and ID numbers a
spreadsheet stored as numbers."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from tests.conftest import bearer, official_token
from tests.e2e.test_employment_api import build_scene
from tests.helpers import id_number
from xiaofei.bootstrap import Services
from xiaofei.domain.employment import Payroll

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spreadsheets"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_with(name: str, replacements: dict[str, str]) -> bytes:
    """The workbook LibreOffice wrote, with the ASCII placeholders in its shared strings replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(FIXTURES / name) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/sharedStrings.xml":
                for old, new in replacements.items():
                    data = data.replace(f">{old}<".encode(), f">{new}<".encode())
            target.writestr(info, data)
    return out.getvalue()


def _csv_with(name: str, replacements: dict[str, str]) -> bytes:
    data = (FIXTURES / name).read_bytes()
    for old, new in replacements.items():
        data = data.replace(old.encode("ascii"), new.encode("ascii"))
    return data


async def _upload_xlsx(http: httpx.AsyncClient, org: str, headers: dict[str, str], body: bytes,
                       key: str) -> httpx.Response:
    return await http.post(f"/organisations/{org}/wage-slips", content=body,
                           headers={**headers, "Content-Type": XLSX, "Idempotency-Key": key})


async def test_a_libreoffice_workbook_with_date_cells_separators_and_full_width_digits_is_read_as_shown(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    # given a workbook LibreOffice wrote: a month date cell shown 2024-07, a pay date cell shown 2024/7/28,
    # amounts shown 1,234.50, and a second row typed as text: 2024年7月, 2024年7月29日, 1,000.00, ２２ days
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    body = _xlsx_with("slips.xlsx", {"WORKSHOP": scene.workshop, "WORKER1": scene.workers[0],
                                     "WORKER2": scene.workers[1]})
    # when the employer uploads it
    r = await _upload_xlsx(http, scene.org, scene.employer, body, "libreoffice-slips-1")
    # then both slips are recorded for July 2024, with the amounts and days the sheet shows
    assert r.status_code == 201, r.text
    assert r.json()["reported"] == 2
    payroll = services.app.repository.get(Payroll.create_id(UUID(scene.workshop), "2024-07"))
    slips = sorted(payroll.slips.values(), key=lambda s: s.pay_date)
    assert [(s.gross_fen, s.net_fen, s.days_worked, s.pay_date) for s in slips] == [
        (123450, 120000, 22, date(2024, 7, 28)), (100000, 100000, 22, date(2024, 7, 29))]


async def test_an_id_column_a_spreadsheet_stored_as_numbers_is_explained_not_called_a_bad_check_digit(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    body = _xlsx_with("slips-id-as-number.xlsx", {"WORKSHOP": scene.workshop})
    r = await _upload_xlsx(http, scene.org, scene.employer, body, "libreoffice-slips-2")
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "id_number")], errors
    assert "stored as a number and lost digits: format it as text" in errors[0]["reason"]
    assert "check digit" not in errors[0]["reason"]


@pytest.fixture
def official(services: Services, county_code: str) -> dict[str, str]:
    return bearer(official_token(services, county_code))


async def test_a_household_csv_saved_as_excel_on_chinese_windows_saves_it_is_imported(
        http: httpx.AsyncClient, services: Services, county_code: str, official: dict[str, str]) -> None:
    # given the GBK, CRLF file with 识别日期 shown 2016/3/1 and 2021年6月15日
    people = {f"IDNUM{i}": id_number(county_code, 40 + i) for i in (1, 2, 3)}
    body = _csv_with("households-gbk-crlf.csv", {"COUNTY": county_code, **people})
    assert b"\r\n" in body and "王芳".encode("gbk") in body
    # when it is imported
    r = await http.post(f"/counties/{county_code}/household-imports", content=body,
                        headers={**official, "Content-Type": "text/csv"})
    # then both households are registered, each from the date its row gives
    assert r.status_code == 201, r.text
    assert r.json()["registered"] == 2
    position = r.json()["position"]
    monitored = (await http.get(f"/counties/{county_code}/households/{county_code}H002",
                                params={"min_position": position}, headers=official)).json()
    assert (monitored["category"], monitored["subtype"], monitored["category_since"]) == (
        "monitored", "sudden_hardship", "2021-06-15")
    exited = (await http.get(f"/counties/{county_code}/households/{county_code}H001", headers=official)).json()
    assert exited["category_since"] == "2016-03-01" and exited["member_count"] == 2


async def test_a_household_csv_whose_id_column_was_a_number_is_told_to_format_it_as_text(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    body = _csv_with("households-id-as-number-gbk-crlf.csv", {"COUNTY": county_code})
    r = await http.post(f"/counties/{county_code}/household-imports", content=body,
                        headers={**official, "Content-Type": "text/csv"})
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "id_number")], errors
    assert "stored as a number and lost digits: format it as text" in errors[0]["reason"]


async def test_a_bank_export_with_slashed_dates_and_separated_amounts_proves_the_slip(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    from tests.e2e.test_employment_api import slip, upload

    scene = await build_scene(http, services, county_code, admin_token)
    r = await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 123450, "B-77")])
    assert r.status_code == 201, r.text
    text = "交易日期,金额,收款人,收款账号,流水号\r\n2024/3/28,\"1,234.50\",工人,,B-77\r\n"
    r = await http.post(f"/organisations/{scene.org}/bank-statements", content=text.encode("gbk"),
                        headers={**scene.employer, "Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    assert r.json()["matched"] == 1
