"""The range of business values the system accepts, so no accepted input can break arithmetic later (a slip for
month 9999-12 has no month after it; an amount beyond ``bigint`` cannot be stored in a read model).

Months run from the start of the 攻坚期 campaign's predecessor programmes to the end of the century; amounts stop
at 10亿元 (10^11 fen) per line, far beyond any wage, cost or statement line, and far inside PostgreSQL's ``bigint``;
quantities, stock, capacities and weights at 10亿 units. Every amount and quantity of every command passes
``fen_problem`` / ``count_problem`` (or ``check_fen`` / ``check_count``); the request schemas state the same bounds
(``http/schemas.py``: ``Fen``, ``Count``), so a JSON integer past ``int64`` is a 400 before any code runs.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from xiaofei.domain.errors import FieldProblem, InvalidInput

FIRST_MONTH = "2000-01"
LAST_MONTH = "2099-12"
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
MAX_FEN = 10**11
"""10亿元: the largest amount one line may carry."""
MAX_COUNT = 10**9
"""10亿 units: the largest quantity, stock, capacity, weight or count one command may state."""

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_problem(field: str, value: str, row: int | None = None) -> FieldProblem | None:
    if not _MONTH.match(value):
        return FieldProblem(field, "must be YYYY-MM", row)
    if not FIRST_MONTH <= value <= LAST_MONTH:
        return FieldProblem(field, f"must be between {FIRST_MONTH} and {LAST_MONTH}", row)
    return None


def day_problem(field: str, value: date, row: int | None = None) -> FieldProblem | None:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        return FieldProblem(field, f"must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}", row)
    return None


def moment_problem(field: str, value: datetime) -> FieldProblem | None:
    """A point in time a caller states (``as_of``): with its UTC offset, and its own date within the business dates,
    so converting it to UTC cannot leave the calendar (``0001-01-01T00:00:00+14:00`` is valid ISO 8601 whose UTC
    date lies in year 0, which no driver can send)."""
    if value.tzinfo is None or value.utcoffset() is None:
        return FieldProblem(field, "must carry its UTC offset (+08:00 for Beijing time, or Z)")
    return day_problem(field, value.date())


def fen_problem(field: str, value: int, row: int | None = None, *, minimum: int = 0) -> FieldProblem | None:
    """THE rule for every amount of money a command takes: whole fen from ``minimum`` (0, or 1 where an amount
    must be positive) to ``MAX_FEN``."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_FEN:
        return FieldProblem(field, f"must be a whole number of fen from {minimum} to {MAX_FEN} (10亿元)", row)
    return None


def count_problem(field: str, value: int, row: int | None = None, *, minimum: int = 0,
                  maximum: int = MAX_COUNT) -> FieldProblem | None:
    """THE rule for every quantity, stock, capacity, weight or count a command takes: whole units from ``minimum``
    to ``maximum`` (at most ``MAX_COUNT``; a rule of its own may ask less, e.g. units on one order line)."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= min(maximum, MAX_COUNT):
        return FieldProblem(field, f"must be a whole number from {minimum} to {min(maximum, MAX_COUNT)}", row)
    return None


def check_fen(field: str, value: int, *, minimum: int = 0) -> int:
    """``fen_problem`` as a refusal (422 naming ``field``)."""
    if (problem := fen_problem(field, value, minimum=minimum)) is not None:
        raise InvalidInput(problem)
    return value


def check_count(field: str, value: int, *, minimum: int = 0, maximum: int = MAX_COUNT) -> int:
    """``count_problem`` as a refusal (422 naming ``field``)."""
    if (problem := count_problem(field, value, minimum=minimum, maximum=maximum)) is not None:
        raise InvalidInput(problem)
    return value
