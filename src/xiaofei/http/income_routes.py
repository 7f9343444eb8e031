"""Reads of the household income projection (收入核算): one household's year with the lines behind every figure,
the county's households with their per-capita net income and monitoring flags, and the county's summary of a year;
the household's year and the summary also as they were known at a past log position or time (``as_of_position``,
``as_of``). County officials and auditors of the county only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from litestar import Controller, get
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter

from xiaofei.application import income_asof
from xiaofei.domain.bounds import moment_problem
from xiaofei.domain.errors import InvalidInput, invalid
from xiaofei.http.auth import roles
from xiaofei.http.routes import READERS, After, AnyRequest, Limit, MinPosition, _command, _fresh, _services, found
from xiaofei.queries import income as iq
from xiaofei.queries import status

Year = Annotated[int, QueryParameter(ge=2000, le=2200, description="Calendar year")]
HouseholdNumber = Annotated[str, Parameter(min_length=1, max_length=30, pattern=r"^[0-9A-Za-z]+$")]
Flag = Literal["below_poverty_line", "below_monitoring_threshold", "sudden_drop"]
RULE = ("Per-capita net income (人均纯收入) = (wage 工资性 + operating 生产经营性 + property 财产性 + transfer 转移性 − "
        "operating costs 生产经营性支出) ÷ the household's members as registered on 31 December of the year (家庭人口, "
        "the population the annual verification 年度收入核实 divides by), each person counted in one household only, "
        "half-up to the fen. Wage: verified wage slips' net pay of the members and declared migrant/local wages; "
        "operating: procurement payments, gross, the cost `income.cost_ratio.<produce>` deducted per line; property: "
        "revenue shares accrued in the month of the sales (the household's part of the product's pool; a payout is "
        "not counted again), land rent, dividends, declared rent and dividends; transfer: worker wage subsidies paid, "
        "declared 低保, pensions and subsidies. Every registered household has a row for every year from its "
        "registration up to the current year (zero income included) and for any other year an income of it is "
        "dated in. Flags compare it with `monitoring.poverty_line_fen` and `monitoring.threshold_fen` in force on 31 "
        "December; `sudden_drop` compares the year's latest three whole months that have closed (the three months "
        "before the current one while the year runs, October–December once it is over; business dates in "
        "Asia/Shanghai, \"today\" being the day of the latest event the read model applied) with the same months a "
        "year earlier (down by `monitoring.sudden_drop_pct`); the flag's evidence names the months, the last closed "
        "month and the day judged.")
AS_OF = (" With `as_of_position=N` (or `as_of=<time>`, the last position whose event was recorded at or before that "
         "ISO 8601 time, with its UTC offset) the answer is what this read said, or would have said, once the read "
         "model had applied the events up to and including that position: a slip corrected, an income declared "
         "again or a member added later does not change it. `as_of` in the answer names the position used. An as-of "
         "answer is recomputed from the facts known then (measured: one household about 0.1 s; a county summary "
         "recomputes every household of the county, about 1.5 s per thousand households), so it is for looking "
         "back, not for polling.")
AsOfPosition = Annotated[int | None, QueryParameter(
    ge=1, le=2**62, description="Answer as known at this log position (a command's `position`); not with `as_of`")]
AsOfTime = Annotated[str | None, QueryParameter(
    max_length=40, description="Answer as known at this time (ISO 8601 with its offset, e.g. "
                               "2025-06-30T18:00:00+08:00; its date between 2000-01-01 and 2099-12-31): the last log "
                               "position recorded at or before it; not with `as_of_position`")]


async def _as_of(request: AnyRequest, position: int | None, when: str | None,
                 min_position: int | None) -> iq.IncomeAsOf | None:
    """The position an as-of read is computed at, once the income projection has applied it (None: a current
    read). A position past the log's head, or a time that is not one, is a 422 naming its parameter."""
    if position is None and when is None:
        return None
    if position is not None and when is not None:
        raise invalid("as_of", "give as_of_position or as_of, not both")
    pool = request.app.state.pool
    head = await status.head(pool, request.app.state.events_table)
    moment = None
    if when is not None:
        try:
            moment = datetime.fromisoformat(when)
        except ValueError:
            raise invalid("as_of", "must be an ISO 8601 time such as 2025-06-30T18:00:00+08:00") from None
        if (problem := moment_problem("as_of", moment)) is not None:
            raise InvalidInput(problem)
    elif position is not None and position > head:
        raise invalid("as_of_position", f"is past the last position of the log ({head})")
    # the projection must have applied the position asked for (for a time: everything recorded so far)
    await _fresh(request, max(position or head, min_position or 0), "income", primary=True)  # computed there
    if moment is not None:
        position = int(await pool.fetchval("SELECT coalesce(max(position), 0) FROM rm_income.log_positions"
                                           " WHERE recorded_at <= $1", moment))
        asked = f"as_of={moment.isoformat()}"
    else:
        asked = f"as_of_position={position}"
    recorded = await pool.fetchval("SELECT recorded_at FROM rm_income.log_positions WHERE position = $1", position)
    return iq.IncomeAsOf(position=int(position or 0), recorded_at=recorded, asked=asked)


class IncomeController(Controller):
    path = "/counties/{county:str}"
    tags = ["income"]

    @get("/households/{household_number:str}/income", operation_id="getHouseholdIncome", opt=roles(*READERS),
         summary="A household's income of a year (收入核算): totals by category, per-capita net income, flags, "
                 "and the lines behind them",
         description=RULE + " Each line names its event (slip id and version, claim id and payment reference with "
                     "the claim lines paid, seller and payment reference, declaration). The lines are paged by line "
                     "key (`after`, `limit`); 404 when the household has no row for the year (not registered then, and no "
                     "income of it dated in that year)." + AS_OF)
    async def household(self, request: AnyRequest, county: FromPath[str],
                        household_number: FromPath[HouseholdNumber], year: FromQuery[Year], after: After = None,
                        limit: Limit = 100, min_position: MinPosition = None, as_of_position: AsOfPosition = None,
                        as_of: AsOfTime = None) -> iq.HouseholdIncomeYear:
        missing = f"household {household_number} in county {county} has no income row for {year}"
        at = await _as_of(request, as_of_position, as_of, min_position)
        if at is not None:
            params = _services(request).params
            answer = found(await _command(lambda: income_asof.household_year(
                params, county, household_number, year, at, after=after, limit=limit)), f"{missing} at {at.asked}")
        else:
            pool = await _fresh(request, min_position, "income")
            answer = found(await iq.household_year(pool, county, household_number, year, after=after, limit=limit),
                           missing)
        await iq.name_lines(request.app.state.pool, answer.lines)  # the employer, seller, product as named now
        return answer

    @get("/household-incomes", operation_id="listHouseholdIncomes", opt=roles(*READERS),
         summary="The county's households with their yearly per-capita net income and monitoring flags",
         description=RULE + " `flag` keeps the households that carry it. Every household with a row for the year is "
                     "listed (see above). Paged by household number.")
    async def households(self, request: AnyRequest, county: FromPath[str], year: FromQuery[Year],
                         flag: FromQuery[Flag | None] = None, after: After = None, limit: Limit = 100,
                         min_position: MinPosition = None) -> iq.HouseholdIncomePage:
        pool = await _fresh(request, min_position, "income")
        return await iq.households(pool, county, year, flag=flag, after=after, limit=limit)


    @get("/income-summary", operation_id="countyIncomeSummary", opt=roles(*READERS),
         summary="The county's household income of a year, summed: households, members, totals by category, "
                 "per-capita net income (overall and median), households per flag, the lines in force",
         description=RULE + " The summary counts the households with a year row and their members as registered on "
                     "31 December (each person once); `per_capita_net_fen` is the net income of "
                     "the households with members ÷ their members (half-up), `median_per_capita_net_fen` the "
                     "middle household's per-capita net income (the two middle ones averaged, half-up, for an even "
                     "count); `flags` counts the households carrying each flag; `poverty_line_fen` and "
                     "`threshold_fen` are the lines in force on 31 December for the county." + AS_OF)
    async def summary(self, request: AnyRequest, county: FromPath[str], year: FromQuery[Year],
                      min_position: MinPosition = None, as_of_position: AsOfPosition = None,
                      as_of: AsOfTime = None) -> iq.IncomeSummary:
        at = await _as_of(request, as_of_position, as_of, min_position)
        if at is not None:
            params = _services(request).params
            return await _command(lambda: income_asof.county_summary(params, county, year, at))
        pool = await _fresh(request, min_position, "income")
        return await iq.summary(pool, county, year)


CONTROLLERS = [IncomeController]
