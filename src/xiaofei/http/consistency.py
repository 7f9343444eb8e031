"""``Prefer: wait=N`` (RFC 7240) on a command: answer once every projection includes the write.

A command answers as soon as its events are committed, with the ``position`` of the write; the read models catch
up a moment later, so a read sent right after can miss the write unless it carries ``min_position``. A client that
would rather not carry positions sends ``Prefer: wait=5`` with the command: the answer then waits (at most the
given seconds, at most ``XIAOFEI_READ_WAIT_SECONDS``) until every projection has processed the write, and says so
with ``Preference-Applied: wait=N`` (N the seconds it was prepared to wait). Whatever the wait meets (a lagging
projection, a database error), the answer is the write's own. If they have not caught up in time the answer is the same (the write stands)
without that header, and a read should then carry ``min_position``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from xiaofei.projectors.catalog import PROJECTIONS
from xiaofei.queries import status
from xiaofei.queries.status import StaleRead

log = logging.getLogger("xiaofei.http")
_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,4})(?:$|[,;\s])")


def preferred_wait(headers: list[tuple[bytes, bytes]]) -> int | None:
    """Seconds asked for by ``Prefer: wait=N``, if any."""
    for name, value in headers:
        if name.lower() == b"prefer":
            match = _WAIT.search(value.decode("latin-1").lower())
            if match:
                return int(match.group(1))
    return None


def _position(body: bytes) -> int | None:
    try:
        found = json.loads(body)
    except ValueError:
        return None
    position = found.get("position") if isinstance(found, dict) else None
    return position if isinstance(position, int) and not isinstance(position, bool) else None


def wait_preference_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        wait = preferred_wait(scope.get("headers", [])) if scope["type"] == "http" else None
        if wait is None or scope.get("method") != "POST":
            await app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                await _release(scope, held, wait, send)

        await app(scope, receive, hold)

    return middleware


async def _release(scope: Scope, held: list[Message], wait: int, send: Send) -> None:
    start = held[0]
    body = b"".join(m.get("body", b"") for m in held[1:])
    position = _position(body) if 200 <= start["status"] < 300 else None
    if position is not None:
        litestar_app: Any = scope["app"]
        limit = min(wait, int(litestar_app.state.services.settings.read_wait_seconds))
        try:
            # bounded as a whole: a blocked query must not hold the answer to a committed write
            async with asyncio.timeout(limit + 0.5):
                # where the reads are served (a replica, when one is set): the next read sees the write
                await status.wait_for(litestar_app.state.read_pool, tuple(PROJECTIONS), position, limit)
        except (StaleRead, TimeoutError):
            pass  # the write stands; without Preference-Applied the client knows to carry min_position
        except Exception:  # noqa: BLE001 - the write is committed: answer it whatever the wait met
            log.warning("Prefer: wait failed; answering without it", exc_info=True)
        else:
            start = {**start, "headers": [*start.get("headers", []), (b"preference-applied", f"wait={limit}".encode())]}
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
