"""What an export's columns are: a key into each row, a bilingual header, and a kind that says how a value is
written (text made formula-safe, fen as 元 with two decimals, whole numbers, dates, rates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

Kind = Literal["text", "yuan", "int", "date", "rate"]
"""``text``: any value as text (a list joined with ", "); ``yuan``: integer fen written as 元 with two decimals
(464667 → 4646.67); ``int``: a whole number; ``date``: a date (YYYY-MM-DD); ``rate``: a decimal fraction
(0.40 = 40%)."""


@dataclass(frozen=True)
class Column:
    key: str
    """The row's field (a mapping key: an asyncpg record's column name)."""
    zh: str
    """中文 header, first."""
    en: str
    """English header."""
    kind: Kind = "text"

    @property
    def header(self) -> str:
        """One header row, both languages: ``人均纯收入（元） / Per-capita net income (yuan)``."""
        return f"{self.zh} / {self.en}"


def yuan(fen: int) -> str:
    """Integer fen as 元 with two decimals, exactly (no float): 464667 → ``4646.67``, -5 → ``-0.05``."""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{'-' if fen < 0 else ''}{whole}.{cents:02d}"


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(as_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def as_rate(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))
