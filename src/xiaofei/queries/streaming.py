"""Rows for a streamed export: a server-side cursor inside one read-only REPEATABLE READ transaction, fetched in
chunks, so an export of any length holds one chunk of rows at a time and reads one consistent snapshot (a
projector committing meanwhile changes nothing in it). The connection stays checked out of the read pool while the
client downloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg

CHUNK_ROWS = 1000


async def rows(pool: asyncpg.Pool, sql: str, *args: Any, chunk: int = CHUNK_ROWS) -> AsyncIterator[asyncpg.Record]:
    async with pool.acquire() as conn:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            async for record in conn.cursor(sql, *args, prefetch=chunk):
                yield record
