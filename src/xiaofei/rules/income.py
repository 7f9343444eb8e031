"""Household income attribution rules (收入核算): categories, operating costs, per-capita net income and the
monitoring flags. Pure functions over integer fen and decimal rates.

Formula (楚雄州建档立卡贫困户收入明白卡; 人均纯收入 guidance): 人均纯收入 = (工资性收入 + 生产经营性收入 + 财产性收入 +
转移性收入 − 生产经营性支出) ÷ 家庭人口数, the cost deducted per produce category by ``income.cost_ratio.*``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from xiaofei.domain.consumption.categories import cost_class
from xiaofei.domain.registry import OTHER_INCOME_TYPES
from xiaofei.rules.money import apply_rate

CATEGORIES: dict[str, str] = {
    "wage": "工资性收入",
    "operating": "生产经营性收入",
    "property": "财产性收入",
    "transfer": "转移性收入",
}
FLAGS = ("below_poverty_line", "below_monitoring_threshold", "sudden_drop")
DROP_MONTHS = 3
"""How many whole months the sudden-drop comparison (收入骤减) reads: the three latest months of the year that have
closed, against the same months a year earlier."""


def closed_through(today: date | None) -> str | None:
    """The latest whole month that has closed (YYYY-MM) on business date ``today``: the month before today's."""
    if today is None:
        return None
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def drop_window(year: int, closed: str | None) -> list[str]:
    """The months (YYYY-MM) whose net income the sudden-drop check of ``year`` compares with the same months a year
    earlier: the three whole months ending at the year's latest closed month — ``closed`` (the month before
    today's) while the year runs, its December once it is over — so an empty current month, still open, is never
    read as a drop. None while no month of the year has closed (or nothing dates "today")."""
    if closed is None or closed < f"{year:04d}-01":
        return []
    end = min(closed, f"{year:04d}-12")
    end_year, end_month = int(end[:4]), int(end[5:7])
    out = []
    for _ in range(DROP_MONTHS):
        out.append(f"{end_year:04d}-{end_month:02d}")
        end_year, end_month = (end_year, end_month - 1) if end_month > 1 else (end_year - 1, 12)
    return out[::-1]


def year_earlier(month: str) -> str:
    return f"{int(month[:4]) - 1:04d}{month[4:]}"


def declared_category(income_type: str) -> str:
    """The class a declared other income (年度收入核实) belongs to."""
    return OTHER_INCOME_TYPES[income_type][1]


def cost_parameter(produce: str | None) -> str:
    """The cost-ratio parameter of a procurement's category (its 楚雄 cost class; a former produce code reads as
    its category); a code outside the vocabulary counts as other crops (其他作物)."""
    return f"income.cost_ratio.{cost_class(produce)}"


def operating_cost(amount_fen: int, ratio: Decimal) -> int:
    """生产经营性支出 of one procurement line: ratio × amount, half-up to the fen."""
    return apply_rate(ratio, amount_fen)


def per_capita(net_fen: int, members: int) -> int | None:
    """Net income ÷ registered members, half-up to the fen; None without members."""
    if members <= 0:
        return None
    return int((Decimal(net_fen) / members).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sudden_drop(recent_fen: int, earlier_fen: int, pct: Decimal) -> bool:
    """Income of the recent months down by at least ``pct`` against the same months a year earlier (收入骤减);
    never when the earlier months had no income."""
    return earlier_fen > 0 and Decimal(earlier_fen - recent_fen) >= pct * earlier_fen


def flags(per_capita_fen: int | None, poverty_line_fen: int | None, threshold_fen: int | None,
          dropped: bool) -> list[str]:
    """The flags of a household-year: below a line when the per-capita net income is under it (a line not set
    for the province raises nothing)."""
    out = []
    if per_capita_fen is not None and poverty_line_fen is not None and per_capita_fen < poverty_line_fen:
        out.append("below_poverty_line")
    if per_capita_fen is not None and threshold_fen is not None and per_capita_fen < threshold_fen:
        out.append("below_monitoring_threshold")
    if dropped:
        out.append("sudden_drop")
    return out
