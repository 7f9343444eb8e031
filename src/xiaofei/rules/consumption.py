"""How a product's recognised sales reach households: the revenue-share pool of a month and its split.

The pool is ``revenue_share_rate`` × the month's recognised net sales, half-up to the fen; the village collective
takes ``linkage.collective_share`` of it (half-up; the 三七分配 of 陕西柞水县2019年“夏季攻势”方案), and the rest is
split among the plan's households by weight with the largest-remainder method, ties by household number. A month
whose refunds exceed its sales has a negative pool: it is split as its absolute value and negated, so a refund
takes back exactly the fen its sale gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import msgspec

from xiaofei.rules.money import apply_rate, largest_remainder

COLLECTIVE = "collective"
SALE_LINE = "source <> 'refund' AND amount_fen > 0"
"""A sale line (销售笔数) among recognised-sale rows: a received order line not wholly refunded before its receipt,
or a channel sale. A refund row lowers the amount of its month, never adds a line (the dashboard and ``/sales``
count alike)."""


class PoolSplit(msgspec.Struct, frozen=True, kw_only=True):
    pool_fen: int
    collective_fen: int
    households: list[tuple[str, int, int]]
    """(household number, weight, fen), by household number."""


def split_pool(net_sales_fen: int, rate: Decimal, collective_share: Decimal,
               households: Sequence[tuple[str, int]]) -> PoolSplit:
    sign = -1 if net_sales_fen < 0 else 1
    pool = apply_rate(rate, abs(net_sales_fen))
    collective = apply_rate(collective_share, pool) if households else pool
    ordered = sorted(households)
    parts = largest_remainder(pool - collective, ordered)
    return PoolSplit(pool_fen=sign * pool, collective_fen=sign * collective,
                     households=[(n, w, sign * f) for (n, w), f in zip(ordered, parts, strict=True)])


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_end(month: str) -> date:
    year, m = int(month[:4]), int(month[5:7])
    return date(year + (m == 12), m % 12 + 1, 1) - timedelta(days=1)


def owed_since(accruals: Sequence[tuple[str, int]], paid_fen: int) -> tuple[int, str | None]:
    """What is still owed of monthly accruals (month, fen) after ``paid_fen`` of payouts, and the oldest month still
    (partly) unpaid. Payouts, and the months a refund made negative, settle the oldest months first."""
    credit = paid_fen + sum(-fen for _, fen in accruals if fen < 0)
    owed = sum(fen for _, fen in accruals) - paid_fen
    for month, fen in sorted(accruals):
        if fen <= 0:
            continue
        if credit < fen:
            return max(owed, 0), (month if owed > 0 else None)
        credit -= fen
    return max(owed, 0), None
