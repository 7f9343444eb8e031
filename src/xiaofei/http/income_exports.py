"""Exports of the household income reads: the county's households of a year with their per-capita net income and
monitoring flags (the flagged-household list 监测户名单 when ``flag`` is given), as CSV or XLSX."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from xiaofei.exports import Column
from xiaofei.http import exports
from xiaofei.http.income_routes import RULE, Flag, Year
from xiaofei.http.routes import READERS, AnyRequest, MinPosition, _fresh
from xiaofei.queries import income as iq

FLAG_LABELS = {"below_poverty_line": "低于贫困线", "below_monitoring_threshold": "低于监测线",
               "sudden_drop": "收入骤减"}
HOUSEHOLD_INCOMES = exports.ExportTable("household-incomes", "收入监测", [
    Column("household_number", "户编号", "Household number"),
    Column("village_code", "行政村代码", "Village code"),
    Column("village_name", "行政村", "Village name"),
    Column("members", "人口", "Members", "int"),
    Column("gross_fen", "总收入（元）", "Gross income (yuan)", "yuan"),
    Column("operating_cost_fen", "生产经营性支出（元）", "Operating costs (yuan)", "yuan"),
    Column("net_fen", "纯收入（元）", "Net income (yuan)", "yuan"),
    Column("per_capita_net_fen", "人均纯收入（元）", "Per-capita net income (yuan)", "yuan"),
    Column("poverty_line_fen", "贫困线（元）", "Poverty line (yuan)", "yuan"),
    Column("threshold_fen", "监测线（元）", "Monitoring threshold (yuan)", "yuan"),
    Column("flags", "监测标识", "Flags"),
])


async def _labelled(rows: AsyncIterator[Any]) -> AsyncIterator[dict[str, Any]]:
    """Each flag as ``低于监测线 below_monitoring_threshold``: readable, and still the code the API uses."""
    async for row in rows:
        yield {**dict(row), "flags": [f"{FLAG_LABELS.get(f, f)} {f}" for f in row["flags"]]}


class IncomeExportController(Controller):
    path = "/counties/{county:str}"
    tags = ["income"]

    @get("/household-incomes/export", operation_id="exportHouseholdIncomes", opt=exports.opt(*READERS),
         media_type=exports.CSV, responses=exports.responses("The households of the year"),
         summary="Export the county's households with their per-capita net income and flags (CSV or XLSX)",
         description="The rows GET /counties/{county}/household-incomes pages through, all of them: `flag` keeps "
                     "the households that carry it (the flagged-household list). " + RULE + exports.HOW)
    async def export(self, request: AnyRequest, county: FromPath[str], year: FromQuery[Year],
                     flag: FromQuery[Flag | None] = None, file_format: exports.FileFormat = "csv",
                     min_position: MinPosition = None) -> Stream:
        pool = await _fresh(request, min_position, "income", primary=True)  # streamed
        suffix = f"{county}-{year}" + (f"-{flag}" if flag else "")
        return exports.stream(HOUSEHOLD_INCOMES, file_format, suffix,
                              _labelled(iq.household_rows(pool, county, year, flag=flag)))


CONTROLLERS = [IncomeExportController]
