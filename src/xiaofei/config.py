"""Typed settings, read from the environment once; nothing connects at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

ENV_PREFIX = "XIAOFEI_"
EMBEDDED_PG_LOG = ("file", "console")


class SettingsError(ValueError):
    """A setting in the environment has a value we cannot use."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Every setting xiaofei reads. The field name upper-cased, prefixed ``XIAOFEI_``, is its variable.

    ``deploy/example.env`` lists each one; ``tests/unit/test_config.py`` fails when they drift apart.
    """

    database_url: str | None = None
    """PostgreSQL URL. Unset: start an embedded PostgreSQL (pgserver) in ``data_dir``."""
    data_dir: str = ".xiaofei-data"
    """Where the embedded PostgreSQL and the generated secret key live."""
    embedded_pg_log: str = "file"
    """Where the embedded PostgreSQL's own messages go: ``file`` (``embedded-postgres.log`` in ``data_dir``; the
    server's log is ``pg/log`` there; warnings still reach the console) or ``console``."""
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    secret_key: str | None = None
    """64 hex chars: keys the ID-number hash and encryption. Unset: generated once into ``data_dir``."""
    workers: int = 1
    """HTTP worker processes. With more than one, ``serve`` runs the projectors in its own process only."""
    run_projectors: bool = True
    """``xiaofei serve`` also runs the projectors in-process (set false when a separate projector runs)."""
    read_replica_url: str | None = None
    """PostgreSQL URL of a streaming replica (hot standby) of the database: every query endpoint reads there,
    after waiting (``read_wait_seconds`` at most, else 503) until the replica has replayed the projections past
    ``min_position``; commands, tokens and ``/projections`` stay on the primary. Unset: reads use the primary."""
    read_wait_seconds: float = 5.0
    """How long a query with ``min_position`` waits for the projections before answering 503."""
    national_reporting_url: str | None = None
    """PostgreSQL URL of the national reporting database (``xiaofei national subscribe`` fills it from every
    province's publication): set on the national deployment, whose ``/national/…`` reads come from there."""
    projection_batch_size: int = 1000
    """Events per projector transaction during catch-up."""
    db_pool_size: int = 8
    """Connections at most in each asyncpg pool an API process reads with: the primary's (one kept open), and as
    many again on the read replica and on the national reporting database when those are set. See
    ``deploy/CAPACITY.md`` "Database connections"."""
    db_write_pool_size: int = 4
    """Connections the command side of each process (eventsourcing, psycopg) keeps open; up to twice as many
    under load. The projectors read the log through it too."""
    projector_pool_size: int = 2
    """Connections each projection's projector keeps open (one more under load, and one for ``LISTEN``); seven
    projections run in ``xiaofei project``, or in ``serve`` when ``run_projectors`` is true."""
    db_connect_timeout: float = 3.0
    """Seconds a request waits for a database connection (a free pooled one, or a new one) before it answers 503
    with ``Retry-After``."""
    db_statement_timeout: float = 30.0
    """Seconds a read waits for one query's answer before it answers 503 (a frozen or overloaded database)."""
    db_command_timeout: float = 120.0
    """Seconds a command (a write, an upload) waits for its use case before it answers 503; the use case may still
    finish once the database answers, so retry with the same ``Idempotency-Key`` or read first. Long enough for
    the largest upload (100,000 households take about a minute)."""
    max_upload_bytes: int = 20_000_000
    """Largest request body accepted (CSV imports)."""
    group_commit: bool = True
    """Concurrent order placings are decided one by one and written in one transaction (each request still
    accepted or refused on its own, none answered before its transaction commits); false: one transaction each."""
    auth_failures_per_minute: int = 30
    """Failed authentications one client address may make in a minute; past that every request from it without a
    valid token answers 429 with ``Retry-After`` until the minute is over (per API process). A valid token is
    never refused."""
    forwarded_allow_ips: str | None = None
    """The proxies (comma-separated addresses or networks, ``10.0.0.5,10.1.0.0/16``; ``*`` for any) whose
    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` headers are believed: the client address (the failed-login
    limiter's key, the logs) is then the one the proxy forwarded. Unset: none is, the address is the connection's
    own (a client could otherwise claim a new address per request and never meet the limiter)."""

    province: str | None = None
    """The province (省) this deployment serves, by its 2-digit code (``36`` or ``360000`` for 江西省). Set, every
    county of the deployment is of that province: registering a county, scoping a token or calling a path of a
    county of another province is refused, and the service will not start on a database that already holds one.
    Unset (development, the demo): counties of any province. One deployment per province (issue 12)."""

    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()


def _coerce(name: str, raw: str, annotation: Any) -> Any:
    text = raw.strip()
    if annotation in (bool, "bool"):
        lowered = text.lower()
        if lowered in {"1", "true", "yes", "y", "on"}:
            return True
        if lowered in {"0", "false", "no", "n", "off"}:
            return False
        raise SettingsError(f"{ENV_PREFIX}{name.upper()}: expected a boolean, got {raw!r}")
    if annotation in (int, "int"):
        try:
            return int(text)
        except ValueError:
            raise SettingsError(f"{ENV_PREFIX}{name.upper()}: expected an integer, got {raw!r}") from None
    if annotation in (float, "float"):
        try:
            return float(text)
        except ValueError:
            raise SettingsError(f"{ENV_PREFIX}{name.upper()}: expected a number, got {raw!r}") from None
    return text or None if "None" in str(annotation) else text


def setting_names() -> list[str]:
    """The environment variable names of every setting, in declaration order."""
    return [f"{ENV_PREFIX}{field.upper()}" for field in Settings.__struct_fields__]


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from ``environ`` (default: the process environment) plus explicit overrides."""
    env = os.environ if environ is None else environ
    hints = {f.name: f.type for f in msgspec.structs.fields(Settings)}
    values: dict[str, Any] = {}
    for field, annotation in hints.items():
        key = f"{ENV_PREFIX}{field.upper()}"
        if key in env:
            values[field] = _coerce(field, env[key], annotation)
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    if settings.secret_key is not None:
        try:
            if len(bytes.fromhex(settings.secret_key)) != 32:
                raise ValueError
        except ValueError:
            raise SettingsError(f"{ENV_PREFIX}SECRET_KEY: expected 64 hex characters") from None
    if settings.embedded_pg_log not in EMBEDDED_PG_LOG:
        raise SettingsError(f"{ENV_PREFIX}EMBEDDED_PG_LOG: expected one of {', '.join(EMBEDDED_PG_LOG)}")
    if not 1 <= settings.workers <= 32:
        raise SettingsError(f"{ENV_PREFIX}WORKERS: expected 1..32")
    for name in ("db_pool_size", "db_write_pool_size", "projector_pool_size"):
        if not 1 <= getattr(settings, name) <= 1000:
            raise SettingsError(f"{ENV_PREFIX}{name.upper()}: expected 1..1000")
    for name in ("db_connect_timeout", "db_statement_timeout", "db_command_timeout"):
        if not 0 < getattr(settings, name) <= 3600:
            raise SettingsError(f"{ENV_PREFIX}{name.upper()}: expected seconds, more than 0 and at most 3600")
    if settings.projection_batch_size < 1 or settings.projection_batch_size > 2000:
        raise SettingsError(f"{ENV_PREFIX}PROJECTION_BATCH_SIZE: expected 1..2000")
    if settings.province is not None:
        code = settings.province
        if not (code.isdigit() and (len(code) == 2 or (len(code) == 6 and code.endswith("0000")))
                and code[0] in "123456789" and code[:2] != "00"):
            raise SettingsError(f"{ENV_PREFIX}PROVINCE: expected a province's 2-digit code or its division code "
                                f"(42 or 420000 for 湖北省), or empty for counties of any province; got {code!r}")
        settings = msgspec.structs.replace(settings, province=code[:2])
    return settings
