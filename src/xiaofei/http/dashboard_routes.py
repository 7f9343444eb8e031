"""Reads of the county dashboard (县级看板): a county's year (or one township's or village's), the table of its
townships or villages, and a province's counties side by side. County officials and auditors read their
counties; a province official (province_official) reads every county of its provinces."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter

from xiaofei.domain.errors import invalid
from xiaofei.http.auth import roles
from xiaofei.http.routes import READERS, After, AnyRequest, Limit, MinPosition, _fresh_stamped, found
from xiaofei.queries import dashboard as dq

DASHBOARD_READERS = (*READERS, "province_official")
Year = Annotated[int, QueryParameter(ge=2000, le=2200, description="Calendar year")]
Area = Annotated[str | None, QueryParameter(
    pattern=r"^[0-9]{9}([0-9]{3})?$", description="A township (9 digits) or village (12 digits) of the county, "
                                                  "GB/T 10114; omitted: the whole county")]
Level = Literal["township", "village"]
PROJECTIONS = ("dashboard", "registry", "employment", "consumption", "income")
RULE = ("Every figure is a sum or count over the read models (recomputed per county as events arrive): recognised "
        "sales (统计口径: the product's and the seller's certificates cover the sale's day; refunds in the month "
        "recorded) by the product's origin village; money reaching households through benefit linkage (利益联结: "
        "revenue shares accrued, procurement, rent, dividends paid) by the household's village; workshops "
        "(扶贫车间) reporting, certified on the month's last day and meeting the criteria, their staff and "
        "qualifying workers, gross wages of current slips; subsidies entitled, claimed (lines not rejected) and paid "
        "(county level, by payment month) and recovered (追回, county level, to date); households flagged by the "
        "income projection for the year. Money in fen. Nothing names a household or a person.")


class DashboardController(Controller):
    path = "/counties/{county:str}/dashboard"
    tags = ["dashboard"]

    @get("/", operation_id="getCountyDashboard", opt=roles(*DASHBOARD_READERS),
         summary="The county dashboard of a year (县级看板): headline figures, months, sales by category / buyer "
                 "type / tag / channel, households by income band, reserved-share progress, open flags",
         description=RULE + " `area` narrows it to one township or village of the county (404 when nothing of "
                     "the year is known there); reserved shares and open flags are county-wide.")
    async def county(self, request: AnyRequest, county: FromPath[str], year: FromQuery[Year], area: Area = None,
                     min_position: MinPosition = None) -> dq.Dashboard:
        if area is not None and not area.startswith(county):
            raise invalid("area", f"must be a township or village of county {county}")
        pool, at = await _fresh_stamped(request, min_position, PROJECTIONS, ("dashboard",))
        answer = await request.app.state.read_cache.get(("county", county, year, area), at,
                                                        lambda: dq.dashboard(pool, county, year, area))
        return found(answer, f"nothing of {year} is known for area {area} of county {county}")

    @get("/areas", operation_id="listDashboardAreas", opt=roles(*DASHBOARD_READERS),
         summary="The county's townships (or villages) with their year's headline figures (the township table)",
         description=RULE + " `level` picks townships (乡镇, default) or villages (行政村); an area is listed once "
                     "anything of the year is known there. Paged by area code.")
    async def areas(self, request: AnyRequest, county: FromPath[str], year: FromQuery[Year],
                    level: FromQuery[Level] = "township", after: After = None, limit: Limit = 100,
                    min_position: MinPosition = None) -> dq.AreaPage:
        pool, at = await _fresh_stamped(request, min_position, PROJECTIONS, ("dashboard",))
        return await request.app.state.read_cache.get(  # type: ignore[no-any-return]
            ("areas", county, year, level, after, limit), at,
            lambda: dq.areas(pool, county, year, level, after=after, limit=limit))


Province = Annotated[str, Parameter(pattern=r"^[0-9]{2}0000$", description="A province code (xx0000)")]


class ProvinceDashboardController(Controller):
    path = "/provinces/{province:str}/dashboard"
    tags = ["dashboard"]

    @get("/", operation_id="listProvinceCountyDashboards", opt=roles("province_official"),
         summary="A province's counties side by side: each county's headline figures of the year",
         description=RULE + " For province officials of that province. Every county the registry knows in the "
                     "province is listed, with zeros where nothing is known yet. Paged by county code. A county whose part of a "
                     "read model is halted at an event it cannot apply is still listed, its `halted` naming those "
                     "read models: its figures may be behind.")
    async def counties(self, request: AnyRequest, province: FromPath[Province], year: FromQuery[Year],
                       after: After = None, limit: Limit = 100, min_position: MinPosition = None) -> dq.AreaPage:
        if province not in request.user.counties:
            raise PermissionDeniedException(f"province {province} is outside this token's scope")
        pool, at = await _fresh_stamped(request, min_position, PROJECTIONS, ("dashboard", "registry"))
        page = await request.app.state.read_cache.get(
            ("province", province, year, after, limit), at,
            lambda: dq.province(pool, province, year, after=after, limit=limit))
        return await dq.with_halted(pool, page, PROJECTIONS)


CONTROLLERS = [DashboardController, ProvinceDashboardController]
