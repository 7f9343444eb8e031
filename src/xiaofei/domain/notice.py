"""Rules every public notice (公示) shares, whatever it publishes (a subsidy claim, a seller's or product's
certification): stated dates are within the platform's dates and never in the future, an objection (异议) is lodged
during the notice, and what the notice precedes comes after it. A notice of N days published on day D runs through
D+N: its first day is not counted (《中华人民共和国民法典》第二百零一条: 按照年、月、日、小时计算期间的，开始的当日不计入), so
objections are taken through D+N and the certificate or approval comes on D+N+1 at the earliest."""

from __future__ import annotations

from datetime import date, timedelta

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


def after_notice(field: str, day: date, published_on: date, notice_ends: date) -> None:
    """``day`` (a certificate's or an approval's) falls after the notice's last day."""
    if day <= notice_ends:
        raise invalid(field, f"the public notice (公示) published on {published_on.isoformat()} runs through "
                             f"{notice_ends.isoformat()} (objections are taken until then): the earliest is "
                             f"{(notice_ends + timedelta(days=1)).isoformat()}")
