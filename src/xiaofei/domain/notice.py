"""Rules every public notice (公示) shares, whatever it publishes (a subsidy claim, a seller's or product's
certification): stated dates are within the platform's dates and never in the future, and an objection (异议) is
lodged during the notice."""

from __future__ import annotations

from datetime import date

from xiaofei.domain.bounds import day_problem
from xiaofei.domain.errors import InvalidInput, invalid


def not_future(field: str, day: date, today: date) -> None:
    """A business date a caller states: within the platform's dates (``domain/bounds.py``) and not after today."""
    if (problem := day_problem(field, day)) is not None:
        raise InvalidInput(problem)
    if day > today:
        raise invalid(field, f"cannot be in the future (today is {today.isoformat()} in Asia/Shanghai)")


def objection_text(text: str, lodged_on: date, today: date, published_on: date, notice_ends: date) -> str:
    """The objection's text, once it is known to be lodged during the notice."""
    if not text.strip():
        raise invalid("text", "is required")
    not_future("lodged_on", lodged_on, today)
    if lodged_on < published_on:
        raise invalid("lodged_on", f"the notice was published on {published_on.isoformat()}")
    if lodged_on > notice_ends:
        raise invalid("lodged_on", f"the notice ended on {notice_ends.isoformat()}: objections are lodged "
                                   "during the notice")
    return text.strip()
