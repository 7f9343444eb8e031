"""Keyset paging for every list: ``limit`` (1–500) rows after an opaque ``after`` cursor, and ``next_after``.

A cursor is the sort key of the last row of a page, as URL-safe base64 of its JSON: stable under inserts (no row
is skipped or repeated the way an offset would), and cheap (the index is entered at the key). A cursor the list
did not give is a 422 naming ``after``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

from xiaofei.domain.errors import invalid

MAX_LIMIT = 500


def cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([str(k) for k in key], ensure_ascii=False).encode()).decode().rstrip("=")


def parse(after: str | None, *types: Callable[[str], Any]) -> list[Any] | None:
    """The key an ``after`` cursor carries, each part converted by its type (``str``, ``UUID``,
    ``date.fromisoformat``…); None for the first page."""
    if not after:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)))
        if not isinstance(key, list) or len(key) != len(types) or not all(isinstance(k, str) for k in key):
            raise ValueError(after)
        return [convert(k) for convert, k in zip(types, key, strict=True)]
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise invalid("after", "is not a cursor this list gave (pass the next_after of the previous page)") from None


def page(rows: Sequence[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    """The first ``limit`` of ``rows`` (fetched with ``limit + 1``) and the cursor of the next page, if any."""
    items = list(rows[:limit])
    return items, (cursor(*key(items[-1])) if len(rows) > limit and items else None)
