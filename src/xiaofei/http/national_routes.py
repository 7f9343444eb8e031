"""National reporting (全国汇总, issue 12 §4): the counties of every province side by side, totals by province
and for the nation with each province's replication lag, and the counts of flagged households — read from the
national reporting database (``XIAOFEI_NATIONAL_REPORTING_URL``), which subscribes to every province deployment's
published dashboard figures. For national officials (national_official) only; no household is ever there."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery, QueryParameter

from xiaofei.domain.errors import invalid
from xiaofei.http.auth import roles
from xiaofei.http.claims_routes import problem_responses
from xiaofei.http.dashboard_routes import RULE, Year
from xiaofei.http.routes import After, AnyRequest, Limit
from xiaofei.queries import national as nq

NATIONAL = ("national_official",)
ProvinceCode = Annotated[str | None, QueryParameter(pattern=r"^[1-9][0-9]$",
                                                    description="Only this province (2-digit code, e.g. 36)")]
SOURCE = (" Read from the national reporting database: each province's published dashboard tables arrive by "
          "PostgreSQL logical replication, so a figure is as recent as that province's replication "
          "(GET /national/totals gives each province's last message time). A deployment without "
          "XIAOFEI_NATIONAL_REPORTING_URL answers 404.")


def _province(province: str | None) -> str | None:
    """The query's province, checked here: inside ``X | None`` the documented pattern is not enforced."""
    if province is not None and not re.fullmatch(r"[1-9][0-9]", province):
        raise invalid("province", "must be a 2-digit province code such as 36")
    return province


def _pool(request: AnyRequest) -> Any:
    pool = getattr(request.app.state, "national_pool", None)
    if pool is None:
        raise NotFoundException("this deployment has no national reporting database (XIAOFEI_NATIONAL_REPORTING_URL)")
    return pool


class NationalController(Controller):
    path = "/national"
    tags = ["national"]

    @get("/dashboard", operation_id="listNationalCountyDashboards", opt=roles(*NATIONAL), responses=problem_responses(404),
         summary="Every province's counties side by side: each county's headline figures of the year",
         description=RULE + " Every county a province has registered is listed, with zeros where nothing is "
                     "known yet; `province` narrows it to one. Paged by county code." + SOURCE)
    async def counties(self, request: AnyRequest, year: FromQuery[Year], province: ProvinceCode = None,
                       after: After = None, limit: Limit = 100) -> nq.NationalCountyPage:
        return await nq.counties(_pool(request), year, _province(province), after=after, limit=limit)

    @get("/totals", operation_id="getNationalTotals", opt=roles(*NATIONAL), responses=problem_responses(404),
         summary="The year's totals of every province and of the nation, with each province's replication lag",
         description="Sums over counties of their year's headline figures (money in fen; stocks such as workers "
                     "on the last month reported), by province and for the nation, and the households flagged by "
                     "the provinces' income projections. Each province carries its subscription: whether it is "
                     "enabled and when the reporting database last heard from the province." + SOURCE)
    async def totals(self, request: AnyRequest, year: FromQuery[Year]) -> nq.NationalTotals:
        return await nq.totals(_pool(request), year)

    @get("/flagged-households", operation_id="listNationalFlaggedHouseholds", opt=roles(*NATIONAL), responses=problem_responses(404),
         summary="Counties with households flagged in the year, and how many by flag (counts only)",
         description="Households under the poverty line, under the monitoring threshold or with a sudden drop "
                     "in income (防止返贫监测), as each province's income projection flagged them for the year: "
                     "a count per county and flag, never a household. Counties without a flagged household are "
                     "left out; `province` narrows it to one. Paged by county code." + SOURCE)
    async def flagged(self, request: AnyRequest, year: FromQuery[Year], province: ProvinceCode = None,
                      after: After = None, limit: Limit = 100) -> nq.FlaggedPage:
        return await nq.flagged(_pool(request), year, _province(province), after=after, limit=limit)


CONTROLLERS = [NationalController]
