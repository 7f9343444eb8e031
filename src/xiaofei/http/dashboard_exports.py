"""Exports of the county dashboard's tables (县级看板导出), CSV or XLSX: a county's (or one township's or
village's) months, its table of townships or villages, and a province's counties side by side. Same roles and
scope as the JSON reads in ``dashboard_routes``; the export of read ``R`` is ``R/export``."""

from __future__ import annotations

from litestar import Controller, get
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from xiaofei.domain.errors import invalid
from xiaofei.exports import Column
from xiaofei.http import exports
from xiaofei.http.dashboard_page import POOR_WORKERS
from xiaofei.http.dashboard_routes import DASHBOARD_READERS, PROJECTIONS, RULE, Area, Level, Province, Year
from xiaofei.http.routes import AnyRequest, MinPosition, _fresh
from xiaofei.queries import dashboard_rows as rows

_FIGURES = [
    Column("certified_sellers", "认定经营主体", "Certified sellers", "int"),
    Column("certified_products", "认定产品", "Certified products", "int"),
    Column("sales_fen", "认定销售额（元）", "Recognised sales (yuan)", "yuan"),
    Column("sales_lines", "销售笔数", "Sales lines", "int"),
    Column("households_reached", "联农带农户数", "Households reached", "int"),
    Column("attributed_fen", "联农带农金额（元）", "Money to households (yuan)", "yuan"),
    Column("workshops_reporting", "报送车间", "Workshops reporting", "int"),
    Column("workshops_certified", "认定车间", "Workshops certified", "int"),
    Column("workshops_eligible", "达标车间", "Workshops eligible", "int"),
    Column("workers_total", "务工人数", "Workers", "int"),
    Column("workers_poor", *POOR_WORKERS, "int"),
    Column("wages_fen", "工资总额（元）", "Wages (yuan)", "yuan"),
    Column("average_wage_fen", "平均工资（元）", "Average wage (yuan)", "yuan"),
    Column("subsidies_entitled_fen", "应享补贴（元）", "Subsidies entitled (yuan)", "yuan"),
    Column("subsidies_claimed_fen", "已申报补贴（元）", "Subsidies claimed (yuan)", "yuan"),
    Column("subsidies_paid_fen", "已发放补贴（元）", "Subsidies paid (yuan)", "yuan"),
]
MONTHS = exports.ExportTable("dashboard-months", "县级看板月度", [
    Column("area_code", "区域代码", "Area code"), Column("month", "月份", "Month"), *_FIGURES,
    Column("slips", "工资条数", "Wage slips", "int")])
_AREA_FIGURES = [
    Column("as_of_month", "截至月份", "As of month"), *_FIGURES,
    Column("subsidies_recovered_fen", "已追回补贴（元）", "Subsidies recovered (yuan)", "yuan"),
    Column("flagged_below_poverty_line", "低于贫困线户", "Households below the poverty line", "int"),
    Column("flagged_below_monitoring_threshold", "低于监测线户", "Households below the monitoring threshold", "int"),
    Column("flagged_sudden_drop", "收入骤减户", "Households with a sudden drop", "int")]
AREAS = exports.ExportTable("dashboard-areas", "县级看板分区", [
    Column("area_level", "层级", "Level"), Column("area_code", "区域代码", "Area code"),
    Column("area_name", "区域名称", "Area name"), *_AREA_FIGURES])
COUNTIES = exports.ExportTable("province-dashboard", "省级看板", [
    Column("county", "县代码", "County code"), Column("area_name", "县名称", "County name"), *_AREA_FIGURES])


class DashboardExportController(Controller):
    path = "/counties/{county:str}/dashboard"
    tags = ["dashboard"]

    @get("/export", operation_id="exportCountyDashboardMonths", opt=exports.opt(*DASHBOARD_READERS),
         media_type=exports.CSV, responses=exports.responses("The area's months of the year"),
         summary="Export the county dashboard's months of a year (CSV or XLSX)",
         description="The `months` of GET /counties/{county}/dashboard, one row a month with the figures of the "
                     "month (stocks on its last day). `area` narrows it to a township or village. " + RULE
                     + exports.HOW)
    async def months(self, request: AnyRequest, county: FromPath[str], year: FromQuery[Year], area: Area = None,
                     file_format: exports.FileFormat = "csv", min_position: MinPosition = None) -> Stream:
        if area is not None and not area.startswith(county):
            raise invalid("area", f"must be a township or village of county {county}")
        pool = await _fresh(request, min_position, *PROJECTIONS, primary=True)  # streamed
        return exports.stream(MONTHS, file_format, f"{area or county}-{year}",
                              rows.month_rows(pool, county, year, area))

    @get("/areas/export", operation_id="exportDashboardAreas", opt=exports.opt(*DASHBOARD_READERS),
         media_type=exports.CSV, responses=exports.responses("The county's townships or villages"),
         summary="Export the county's township (or village) table of a year (CSV or XLSX)",
         description="Every row of GET /counties/{county}/dashboard/areas: each township's (乡镇) or village's "
                     "(行政村) headline figures of the year. " + RULE + exports.HOW)
    async def areas(self, request: AnyRequest, county: FromPath[str], year: FromQuery[Year],
                    level: FromQuery[Level] = "township", file_format: exports.FileFormat = "csv",
                    min_position: MinPosition = None) -> Stream:
        pool = await _fresh(request, min_position, *PROJECTIONS, primary=True)  # streamed
        return exports.stream(AREAS, file_format, f"{county}-{year}-{level}",
                              rows.area_rows(pool, county, year, level))


class ProvinceDashboardExportController(Controller):
    path = "/provinces/{province:str}/dashboard"
    tags = ["dashboard"]

    @get("/export", operation_id="exportProvinceCountyDashboards", opt=exports.opt("province_official"),
         media_type=exports.CSV, responses=exports.responses("The province's counties"),
         summary="Export a province's counties side by side (CSV or XLSX)",
         description="Every row of GET /provinces/{province}/dashboard: each county's headline figures of the "
                     "year. " + RULE + exports.HOW)
    async def counties(self, request: AnyRequest, province: FromPath[Province], year: FromQuery[Year],
                       file_format: exports.FileFormat = "csv", min_position: MinPosition = None) -> Stream:
        if province not in request.user.counties:
            raise PermissionDeniedException(f"province {province} is outside this token's scope")
        pool = await _fresh(request, min_position, *PROJECTIONS, primary=True)  # streamed
        return exports.stream(COUNTIES, file_format, f"{province}-{year}", rows.county_rows(pool, province, year))


CONTROLLERS = [DashboardExportController, ProvinceDashboardExportController]
