"""Shared fixtures: a real PostgreSQL (XIAOFEI_TEST_DATABASE_URL, else embedded), services, a real HTTP server."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.recording import Recorder
from xiaofei.bootstrap import Services, build
from xiaofei.config import load_settings
from xiaofei.database import Database, start_embedded

TEST_SECRET = "5e" * 32


def _fresh_database(server_url: str) -> tuple[str, str]:
    name = f"xiaofei_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = server_url.partition("?")
    head, _, _ = base.rpartition("/")
    return name, f"{head}/{name}" + (f"?{query}" if query else "")


def _drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance database."""
    url = os.environ.get("XIAOFEI_TEST_DATABASE_URL")
    if url:
        yield url
        return
    embedded = start_embedded(Path(tmp_path_factory.mktemp("embedded-pg")))
    try:
        yield embedded.dsn
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def database_dsn(pg_server: str) -> Iterator[str]:
    name, dsn = _fresh_database(pg_server)
    try:
        yield dsn
    finally:
        _drop_database(pg_server, name)


@pytest.fixture(scope="session")
def services(database_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    settings = load_settings(
        # reads wait up to 30 s for a projection to reach the position a test's write returned: the session's
        # projectors follow every test's events, and on a loaded CI machine employment fell 1,000 events behind
        # for more than 5 s (a 503 "not caught up" in test_slip_templates_api). Tests of the 503 set their own.
        {}, database_url=database_dsn, secret_key=TEST_SECRET, read_wait_seconds=30.0,
        # the access-control table makes a few hundred refused calls from 127.0.0.1 within a minute
        auth_failures_per_minute=500,
        data_dir=str(tmp_path_factory.mktemp("data")),
    )
    svc = build(settings, Database(dsn=database_dsn))
    svc.start_projectors()
    try:
        yield svc
    finally:
        svc.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_app(services: Services) -> Any:
    """The Litestar app that ``base_url`` serves (tests may adjust its state, e.g. the failed-login limiter)."""
    from xiaofei.http.app import create_app

    return create_app(services)


@pytest.fixture(scope="session")
def base_url(live_app: Any) -> Iterator[str]:
    """The API served by uvicorn on a real port, in a thread (with XIAOFEI_RECORD_EXAMPLES: recording examples)."""
    from tests.servers import serving_app

    recorder = Recorder() if os.environ.get("XIAOFEI_RECORD_EXAMPLES") else None
    with serving_app(live_app, _free_port(), recorder, merge=False) as url:  # the whole file, afresh
        yield url


@pytest.fixture
def fresh_dsn(pg_server: str) -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards (for tests that start processes on it)."""
    name, dsn = _fresh_database(pg_server)
    try:
        yield dsn
    finally:
        _drop_database(pg_server, name)


@pytest.fixture(scope="session")
def admin_token(services: Services) -> str:
    return services.access.issue("admin", [], None, "test admin", "test").secret


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        yield client


_counter = iter(range(100, 999))


@pytest.fixture
def county_code(services: Services) -> str:
    """A fresh registered county per test, so tests never see each other's data."""
    code = f"9{next(_counter):03d}01"
    services.registry.register_county(code, f"测试县{code}", "测试省", "test")
    return code


def official_token(services: Services, *counties: str) -> str:
    return services.access.issue("county_official", list(counties), None, "test official", "test").secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
