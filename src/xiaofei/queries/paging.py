"""Keyset paging for every list: ``limit`` (1–500) rows after an opaque ``after`` cursor, and ``next_after``.

A cursor is the sort key of the last row of a page, as URL-safe base64 of its JSON: stable under inserts (no row
is skipped or repeated the way an offset would), and cheap (the index is entered at the key). A cursor the list
did not give is a 422 naming ``after``.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime
from collections.abc import Callable, Sequence
from typing import Any

from xiaofei.application.tables import CONTROL_CHARACTERS
from xiaofei.domain.errors import invalid

MAX_LIMIT = 500


def cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([str(k) for k in key], ensure_ascii=False).encode()).decode().rstrip("=")


def text(value: str) -> str:
    """A cursor's text part: what a row's key can hold (PostgreSQL takes neither U+0000 nor lone surrogates)."""
    if CONTROL_CHARACTERS.search(value) or len(value) > 200:
        raise ValueError(value)
    value.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
    return value


def int32(value: str) -> int:
    number = int(value)
    if not -2**31 <= number < 2**31:
        raise ValueError(value)
    return number


_EARLIEST, _LATEST = datetime(1900, 1, 2, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def instant(value: str) -> datetime:
    """A timestamp part: with its offset, in a range PostgreSQL and asyncpg both take."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None or not _EARLIEST <= moment <= _LATEST:
        raise ValueError(value)
    return moment.astimezone(UTC)


def day(value: str) -> date:
    found = date.fromisoformat(value)
    if not 1900 <= found.year <= 2200:
        raise ValueError(value)
    return found


def parse(after: str | None, *types: Callable[[str], Any]) -> list[Any] | None:
    """The key an ``after`` cursor carries, each part converted by its type (``text``, ``UUID``, ``instant``,
    ``day``, ``int32``: every value a hand-made cursor can carry is refused here, never by the database); None for
    the first page."""
    if not after:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)))
        if not isinstance(key, list) or len(key) != len(types) or not all(isinstance(k, str) for k in key):
            raise ValueError(after)
        return [convert(k) for convert, k in zip(types, key, strict=True)]
    except (binascii.Error, ValueError, TypeError, OverflowError, UnicodeError):
        raise invalid("after", "is not a cursor this list gave (pass the next_after of the previous page)") from None


def page(rows: Sequence[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    """The first ``limit`` of ``rows`` (fetched with ``limit + 1``) and the cursor of the next page, if any."""
    items = list(rows[:limit])
    return items, (cursor(*key(items[-1])) if len(rows) > limit and items else None)
