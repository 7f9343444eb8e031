"""Business dates are Chinese dates: "today", the day of a timestamp and its month are taken in Asia/Shanghai,
whatever time zone the server process runs in (a UTC host at 00:30 Beijing time is still on the previous day).

Every date the server derives goes through here. ``now`` is injectable so rules can be tested at any instant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    SHANGHAI: timezone | ZoneInfo = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # a host without tz data: China has kept UTC+8 without daylight saving since 1991
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def utc_now() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]
"""Gives the current instant (timezone-aware)."""


def business_day(instant: datetime) -> date:
    """The date in Asia/Shanghai of an instant; a naive datetime is refused (its zone would be a guess)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a business date needs a timezone-aware instant")
    return instant.astimezone(SHANGHAI).date()


def business_today(now: datetime | Clock | None = None) -> date:
    """Today in Asia/Shanghai: of ``now`` (an instant, or a clock to ask), else of the real current instant."""
    if now is None:
        now = utc_now()
    elif callable(now):
        now = now()
    return business_day(now)


def business_month(instant: datetime | date) -> str:
    """``YYYY-MM`` of an instant (taken in Asia/Shanghai) or of a business date."""
    day = business_day(instant) if isinstance(instant, datetime) else instant
    return f"{day.year:04d}-{day.month:02d}"
