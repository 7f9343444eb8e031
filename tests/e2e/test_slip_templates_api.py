"""Downloadable wage-slip templates (issue 8 §4): bilingual headers, the ID column text, accepted back as filled."""

from __future__ import annotations

import io

import httpx
from openpyxl import load_workbook

from tests.e2e.test_employment_api import build_scene
from xiaofei.application.slips import COLUMNS
from xiaofei.bootstrap import Services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_the_xlsx_template_has_a_text_id_column_and_comes_back_as_an_upload(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    # given an employer with a workshop
    scene = await build_scene(http, services, county_code, admin_token)
    # when it downloads the template
    r = await http.get(f"/organisations/{scene.org}/wage-slips/template.xlsx", headers=scene.employer,
                       params={"min_position": scene.position})
    # then the workbook's header is bilingual, its ID column is text (@), and its notes list the workshop
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(XLSX)
    assert "attachment" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    sheet, notes = book["工资表"], book["说明"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["车间编号 workshop_id", "月份 month", "身份证号 id_number"] and len(header) == len(COLUMNS)
    id_column = sheet.cell(row=1, column=header.index("身份证号 id_number") + 1).column_letter
    assert sheet.column_dimensions[id_column].number_format == "@"
    assert scene.workshop in [row[0] for row in notes.iter_rows(values_only=True)]
    # and filled in (the ID typed as text, as the column's format makes a spreadsheet keep it) it is accepted
    row = {"workshop_id": scene.workshop, "month": "2024-05", "id_number": scene.workers[0], "gross_yuan": 600,
           "days_worked": 22, "pay_date": "2024/5/28", "method": "银行代发", "bank_ref": "T-1"}
    sheet.append([row.get(name) for name in COLUMNS])
    filled = io.BytesIO()
    book.save(filled)
    r = await http.post(f"/organisations/{scene.org}/wage-slips", content=filled.getvalue(),
                        headers={**scene.employer, "Content-Type": XLSX, "Idempotency-Key": "template-filled-1"})
    assert r.status_code == 201, r.text
    assert r.json()["reported"] == 1


async def test_the_csv_template_is_a_bilingual_header_row_the_upload_accepts(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    r = await http.get(f"/organisations/{scene.org}/wage-slips/template.csv", headers=scene.official,
                       params={"min_position": scene.position})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"  # one charset (review: it came twice)
    assert r.content.startswith("\ufeff".encode())
    header = r.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("车间编号 workshop_id,月份 month,身份证号 id_number")
    filled = r.content + f"{scene.workshop},2024-05,{scene.workers[0]},600,,22,,2024-05-28,bank,C-1,,\r\n".encode()
    r = await http.post(f"/organisations/{scene.org}/wage-slips", content=filled,
                        headers={**scene.employer, "Content-Type": "text/csv", "Idempotency-Key": "template-csv-1"})
    assert r.status_code == 201, r.text


async def test_the_templates_are_documented_with_their_media_types(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/schema/openapi.json")).json()["paths"]
    for suffix, media in (("xlsx", XLSX), ("csv", "text/csv")):
        operation = paths[f"/organisations/{{org}}/wage-slips/template.{suffix}"]["get"]
        assert media in operation["responses"]["200"]["content"], operation["responses"]["200"]
        assert operation["description"] and operation["summary"]
