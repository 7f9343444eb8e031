"""Reads of the household income projection (收入核算): one household's year with the lines behind every figure,
and the county's households with their per-capita net income and monitoring flags. County officials and auditors
of the county only."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter

from xiaofei.http.auth import roles
from xiaofei.http.routes import READERS, After, AnyRequest, Limit, MinPosition, _fresh, found
from xiaofei.queries import income as iq

Year = Annotated[int, QueryParameter(ge=2000, le=2200, description="Calendar year")]
HouseholdNumber = Annotated[str, Parameter(min_length=1, max_length=30, pattern=r"^[0-9A-Za-z]+$")]
Flag = Literal["below_poverty_line", "below_monitoring_threshold", "sudden_drop"]
RULE = ("Per-capita net income (人均纯收入) = (wage 工资性 + operating 生产经营性 + property 财产性 + transfer 转移性 − "
        "operating costs 生产经营性支出) ÷ members registered on some day of the year, half-up to the fen. Wage: "
        "verified wage slips' net pay of the members and declared migrant/local wages; operating: procurement "
        "payments, gross, the cost `income.cost_ratio.<produce>` deducted per line; property: revenue-share payouts, "
        "land rent, dividends, declared rent and dividends; transfer: worker wage subsidies paid, declared 低保, "
        "pensions and subsidies. Flags compare it with `monitoring.poverty_line_fen` and `monitoring.threshold_fen` "
        "in force on 31 December; `sudden_drop` compares October–December with the same months a year earlier "
        "(down by `monitoring.sudden_drop_pct`).")


class IncomeController(Controller):
    path = "/counties/{county:str}"

    @get("/households/{household_number:str}/income", operation_id="getHouseholdIncome", opt=roles(*READERS),
         summary="A household's income of a year (收入核算): totals by category, per-capita net income, flags, "
                 "and the lines behind them",
         description=RULE + " Each line names its event (slip id and version, claim id and payment reference with "
                     "the claim lines paid, seller and payment reference, declaration). The lines are paged by line "
                     "key (`after`, `limit`); 404 when no income of the year is known for the household.")
    async def household(self, request: AnyRequest, county: FromPath[str],
                        household_number: FromPath[HouseholdNumber], year: FromQuery[Year], after: After = None,
                        limit: Limit = 100, min_position: MinPosition = None) -> iq.HouseholdIncomeYear:
        pool = await _fresh(request, min_position, "income")
        return found(await iq.household_year(pool, county, household_number, year, after=after, limit=limit),
                     f"no income of {year} is known for household {household_number} in county {county}")

    @get("/household-incomes", operation_id="listHouseholdIncomes", opt=roles(*READERS),
         summary="The county's households with their yearly per-capita net income and monitoring flags",
         description=RULE + " `flag` keeps the households that carry it. A household is listed for a year once any "
                     "income of that year is known. Paged by household number.")
    async def households(self, request: AnyRequest, county: FromPath[str], year: FromQuery[Year],
                         flag: FromQuery[Flag | None] = None, after: After = None, limit: Limit = 100,
                         min_position: MinPosition = None) -> iq.HouseholdIncomePage:
        pool = await _fresh(request, min_position, "income")
        return await iq.households(pool, county, year, flag=flag, after=after, limit=limit)


CONTROLLERS = [IncomeController]
