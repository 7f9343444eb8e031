"""The API's database waits, each bounded (issue 23 point 5): a sick database — stopped, restarting, frozen by
SIGSTOP — gets a 503 in bounded time, never a request that hangs with it.

- **a connection**: asyncpg's connect, and the wait for a free pooled one, within ``XIAOFEI_DB_CONNECT_TIMEOUT``
  (``BoundedPool``; asyncpg's pool methods wait for a free connection for ever by default);
- **a statement**: within ``XIAOFEI_DB_STATEMENT_TIMEOUT`` (asyncpg's ``command_timeout``);
- **a command** (the synchronous use cases, on a worker thread with psycopg, which has no client-side statement
  timeout): within ``XIAOFEI_DB_COMMAND_TIMEOUT``, then 503 while the thread is left to finish or fail;
- **the probes** (``/health``, ``/ready``): ``within`` answers after its bound even when cancelling the query would
  wait on the frozen server (``asyncio.wait_for`` waits for the cancelled query to give the connection back).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import asyncpg
from anyio import to_thread

from xiaofei.config import Settings

T = TypeVar("T")

command_timeout_var: contextvars.ContextVar[float | None] = contextvars.ContextVar("command_timeout", default=None)
"""The app's ``db_command_timeout``, set for each request (several apps may share a process: tests)."""


class CommandTimedOut(TimeoutError):
    """A command's use case did not finish within ``XIAOFEI_DB_COMMAND_TIMEOUT`` (503)."""


class BoundedPool(asyncpg.Pool):  # type: ignore[misc]
    """An asyncpg pool whose every acquire (and so every ``fetch``/``execute`` on the pool) waits at most
    ``acquire_timeout`` for a connection; the release then has the same bound."""

    def __init__(self, *args: Any, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)


async def open_pool(dsn: str, settings: Settings, *, min_size: int) -> BoundedPool:
    """A pool of ``XIAOFEI_DB_POOL_SIZE`` connections with the settings' connection and statement bounds."""
    pool = BoundedPool(dsn, connection_class=asyncpg.Connection, record_class=asyncpg.Record,
                       min_size=min_size, max_size=settings.db_pool_size, max_queries=50_000,
                       max_inactive_connection_lifetime=300.0, connect=None, setup=None, init=None, reset=None,
                       loop=None, acquire_timeout=settings.db_connect_timeout,
                       timeout=settings.db_connect_timeout, command_timeout=settings.db_statement_timeout)
    await pool
    return pool


def _forget(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved


async def within(seconds: float, query: Callable[[], Awaitable[T]]) -> T:
    """``query()``'s result, or ``TimeoutError`` after ``seconds`` at the latest: the query is cancelled but not
    waited for (on a frozen server giving its connection back would wait with it)."""
    task = asyncio.ensure_future(query())
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        task.add_done_callback(_forget)
        raise TimeoutError(f"the database did not answer within {seconds} s")
    return task.result()


async def run_command(fn: Callable[[], T]) -> T:
    """Run a synchronous use case on a worker thread; past the command timeout answer 503 (``TimeoutError``)
    without waiting for the thread, which finishes or fails on its own once the database answers — so a command
    answered 503 this way may still have been recorded: retry it with the same ``Idempotency-Key``, or read first."""
    limit = command_timeout_var.get()
    if limit is None:
        return await to_thread.run_sync(fn)
    try:
        with anyio.fail_after(limit):
            return await to_thread.run_sync(fn, abandon_on_cancel=True)
    except TimeoutError:
        raise CommandTimedOut(f"the database did not finish the command within {limit:g} s") from None
