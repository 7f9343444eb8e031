"""Where PostgreSQL is: a configured URL, or an embedded server (pgserver) in the data directory."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from xiaofei.config import Settings

log = logging.getLogger("xiaofei.database")

EMBEDDED_DBNAME = "xiaofei"
EMBEDDED_LOG = "embedded-postgres.log"


class _WarningsUp(logging.Handler):
    """Hands records of WARNING and above to the root logger's handlers (the console)."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            for handler in logging.getLogger().handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)


def route_embedded_log(data_dir: Path, to: str = "file") -> Path | None:
    """Send the embedded server library's messages (its initdb and pg_ctl command lines...) to ``data_dir`` unless
    ``to`` is ``console``; its warnings and errors reach the console either way. Returns the file, if any."""
    logger = logging.getLogger("pgserver")
    for handler in [h for h in logger.handlers if getattr(h, "xiaofei", False)]:
        logger.removeHandler(handler)
        handler.close()
    if to == "console":
        logger.propagate = True
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / EMBEDDED_LOG
    to_file = logging.FileHandler(path, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    up = _WarningsUp()
    for handler in (to_file, up):
        handler.xiaofei = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = False
    return path


@dataclass
class Database:
    """A reachable PostgreSQL database, plus how to stop it if we started it."""

    dsn: str
    embedded_server: Any | None = None
    _stopped: bool = field(default=False, repr=False)

    def eventsourcing_env(self, *, create_table: bool = False, pool_size: int = 4, connect_timeout: float = 3.0
                          ) -> dict[str, str]:
        """Environment for eventsourcing's PostgreSQL persistence, derived from the DSN: ``pool_size`` connections
        kept (as many again under load); ``connect_timeout`` bounds both a new connection and the wait for a free
        pooled one (whole seconds, at least one)."""
        parts = urlparse(self.dsn)
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": host,
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_MAX_OVERFLOW": str(pool_size),
            "POSTGRES_LOCK_TIMEOUT": "30",
            # An outage is answered with a 503 within a few seconds, not after a long connect; a pooled connection
            # that died with the server is noticed before use instead of failing the request.
            "POSTGRES_CONNECT_TIMEOUT": str(max(1, round(connect_timeout))),
            "POSTGRES_PRE_PING": "y",
            "CREATE_TABLE": "y" if create_table else "n",
            # Keep recently used aggregates in memory; each get still fast-forwards from the store and hands out a
            # deep copy, so a refused command never leaves a half-changed aggregate behind.
            "AGGREGATE_CACHE_MAXSIZE": "2000",
        }

    def supervise(self, stop: threading.Event, every: float = 2.0) -> None:
        """Keep the embedded server running while the service runs: if its postmaster died (killed, crashed), start
        it again in the same data directory. Does nothing for a configured server (its operators supervise it)."""
        server = self.embedded_server
        if server is None:
            return
        from pgserver.postgres_server import PostmasterInfo

        while not stop.wait(every):
            try:
                info = PostmasterInfo.read_from_pgdata(server.pgdata)
                if info is not None and info.is_running():
                    continue
                log.warning("embedded PostgreSQL is not running; starting it again", extra={"data": str(server.pgdata)})
                with type(server)._lock:
                    server.ensure_postgres_running()
            except Exception:  # noqa: BLE001 - keep supervising; the next round tries again
                log.exception("could not restart the embedded PostgreSQL")

    def stop(self) -> None:
        """Stop the embedded server if we are its last user (processes share it through the data dir)."""
        server = self.embedded_server
        if server is None or self._stopped:
            return
        self._stopped = True
        import psutil

        # pgserver keeps the PIDs of its users in a file and stops only when the last one leaves; a user
        # that was killed never leaves, which would keep the server up forever. Forget the dead ones.
        with type(server)._lock:
            pids = server.global_process_id_list.get()
            alive = [pid for pid in pids if psutil.pid_exists(pid)]
            if alive != pids:
                server.global_process_id_list.put(alive)
        server.cleanup()


def start_embedded(data_dir: Path, log_to: str = "file") -> Database:
    """Start (or join) the embedded PostgreSQL in ``data_dir/pg`` and make sure our database exists."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir))
    data_dir.mkdir(parents=True, exist_ok=True)
    messages = route_embedded_log(data_dir, log_to)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DBNAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DBNAME};")
    base = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    dsn = base.replace("/postgres?", f"/{EMBEDDED_DBNAME}?", 1)
    log.info("embedded PostgreSQL ready", extra={
        "data_dir": str(data_dir / "pg"), "server_log": str(data_dir / "pg" / "log"),
        "messages": str(messages) if messages else "console"})
    return Database(dsn=dsn, embedded_server=server)


def open_database(settings: Settings) -> Database:
    if settings.database_url:
        return Database(dsn=settings.database_url)
    return start_embedded(settings.resolved_data_dir(), settings.embedded_pg_log)


def secret_key(settings: Settings) -> bytes:
    """The 32-byte key for ID hashing and sealing: from settings, else generated once into the data dir."""
    if settings.secret_key:
        return bytes.fromhex(settings.secret_key)
    path = settings.resolved_data_dir() / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        log.warning("generated a new secret key", extra={"path": str(path)})
    return bytes.fromhex(path.read_text().strip())
