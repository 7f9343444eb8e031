"""Downloadable wage-slip templates (工资表模板), so an ID column is text before anyone types into it."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from xiaofei.application.tables import CSV_TYPES, XLSX_TYPES
from xiaofei.application.templates import template_csv, template_xlsx
from xiaofei.http.auth import roles
from xiaofei.http.routes import READERS, AnyRequest, MinPosition, _command, _fresh
from xiaofei.queries import employment as eq

WHO = ("employer", *READERS)
"""The organisation's employer; officials and auditors of its county (the guard checks the organisation's county)."""
XLSX = XLSX_TYPES[0]
CSV = CSV_TYPES[0]


class SlipTemplateController(Controller):
    path = "/organisations/{org:str}/wage-slips"
    tags = ["employment"]

    @get("/template.xlsx", operation_id="wageSlipTemplateXlsx", opt=roles(*WHO), media_type=XLSX,
         summary="Download the wage-slip template (XLSX) whose ID-number column is text",
         description="An XLSX workbook to fill in and upload to POST /organisations/{org}/wage-slips: sheet 工资表 has "
                     "one bilingual header row (车间编号 workshop_id, 月份 month, 身份证号 id_number…) and its ID-number, "
                     "account and reference columns are formatted as text (number format @), so an 18-digit ID number "
                     "keeps every digit; sheet 说明 explains every column and lists the organisation's workshops with "
                     "their ids.",
         responses={200: ResponseSpec(data_container=bytes, media_type=XLSX, generate_examples=False,
                                      description="The template workbook")})
    async def xlsx(self, request: AnyRequest, org: FromPath[str],
                   min_position: MinPosition = None) -> Response[bytes]:
        pool = await _fresh(request, min_position, "employment")
        workshops = await eq.organisation_workshops(pool, org)
        body = await _command(lambda: template_xlsx(workshops))
        return Response(body, media_type=XLSX, headers={
            "Content-Disposition": "attachment; filename=\"wage-slips-template.xlsx\""})

    @get("/template.csv", operation_id="wageSlipTemplateCsv", opt=roles(*WHO), media_type=CSV,
         summary="Download the wage-slip template (CSV header row)",
         description="The header row of a wage-slip CSV (UTF-8 with BOM, bilingual headers). A CSV cannot keep a "
                     "column as text: a spreadsheet that opens it may turn ID numbers into numbers and lose digits, "
                     "so prefer template.xlsx, or format the ID column as text before typing.",
         responses={200: ResponseSpec(data_container=str, media_type=CSV, generate_examples=False,
                                      description="The template's header row")})
    async def csv(self, request: AnyRequest, org: FromPath[str], min_position: MinPosition = None) -> Response[bytes]:
        body = "".join(template_csv()).encode("utf-8")
        return Response(body, media_type=CSV, headers={
            "Content-Disposition": "attachment; filename=\"wage-slips-template.csv\""})


CONTROLLERS = [SlipTemplateController]
