"""The API's bounded waits (issue 23.5) without a database: a command past its timeout, and a probe whose
cancelled query would take as long as a frozen server to give its connection back."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from xiaofei.http.pools import CommandTimedOut, command_timeout_var, run_command, within


async def test_a_command_past_its_timeout_is_answered_without_waiting_for_its_thread() -> None:
    token = command_timeout_var.set(0.2)
    stuck = threading.Event()
    started = time.monotonic()
    try:
        with pytest.raises(CommandTimedOut, match="within 0.2 s"):
            await run_command(lambda: stuck.wait(30))  # a psycopg call on a frozen server
        assert time.monotonic() - started < 10  # not the 30 s the thread is stuck for
    finally:
        stuck.set()
        command_timeout_var.reset(token)


async def test_a_probe_answers_after_its_bound_even_when_cancelling_the_query_takes_longer() -> None:
    async def query_on_a_frozen_server() -> int:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            await asyncio.sleep(5)  # giving the connection back waits for the server (asyncio.wait_for waits too)
            raise
        return 1

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await within(0.2, query_on_a_frozen_server)
    assert time.monotonic() - started < 4  # before: the 5 s of the cancelled query's clean-up on top
    assert await within(1, lambda: asyncio.sleep(0, result=7)) == 7
