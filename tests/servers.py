"""Real PostgreSQL servers that a test starts and stops itself (issue 12): a primary, its streaming replica made
with ``pg_basebackup``, a second province, a national reporting server — each its own ``postgres`` process on its
own port of 127.0.0.1.

The binaries are pgserver's (a dependency of the project, so present wherever it installs; it is what the
embedded default runs). PostgreSQL refuses to run as root: under root (CI) the servers run as pgserver's own
unprivileged ``pgserver`` user, as the embedded server does, and their directories belong to it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import uvicorn

from tests.recording import Recorder

try:
    from pgserver._commands import POSTGRES_BIN_PATH as BIN
except ImportError:  # pragma: no cover - pgserver is a dependency
    BIN = None

RUN_AS = "pgserver"


def unavailable() -> str | None:
    """Why no server can be started here (a skip reason), or None."""
    if BIN is None or not (Path(BIN) / "pg_basebackup").exists():
        return "pgserver's PostgreSQL binaries (initdb, pg_ctl, pg_basebackup) are not installed"
    if os.name != "posix":
        return "PostgreSQL test servers are started on POSIX systems only"
    return None


def _as_server_user(root: Path, *, own: bool = False) -> dict[str, Any]:
    """subprocess arguments that run a PostgreSQL binary as a user PostgreSQL accepts; with ``own``, first give
    it the directory ``root`` (the servers' data directories are made inside it by that user)."""
    if os.geteuid() != 0:
        return {}
    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    entry = ensure_user_exists(RUN_AS)
    if own:
        ensure_prefix_permissions(root)
        ensure_folder_permissions(Path(BIN), 0o555)  # type: ignore[arg-type]
        ensure_folder_permissions(Path(BIN).parent / "lib", 0o444)  # type: ignore[arg-type]
        os.chown(root, entry.pw_uid, entry.pw_gid)  # not below: other servers may be running there
    return {"user": entry.pw_uid, "group": entry.pw_gid}


class Server:
    """One PostgreSQL server: its data directory under ``root``, listening on 127.0.0.1:``port`` only."""

    def __init__(self, root: Path, name: str, port: int) -> None:
        self.root = root
        self.name = name
        self.port = port
        self.data = root / name
        self.logfile = root / f"{name}.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, binary: str, *args: str, timeout: float = 120) -> str:
        done = subprocess.run([str(Path(BIN) / binary), *args], capture_output=True, text=True,  # type: ignore[arg-type]
                              timeout=timeout, stdin=subprocess.DEVNULL, **_as_server_user(self.root))
        if done.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-3000:] if self.logfile.exists() else ""
            raise RuntimeError(f"{binary} {' '.join(args)} failed ({done.returncode}): {done.stderr}\n{log}")
        return done.stdout

    def init(self) -> Server:
        self.root.mkdir(parents=True, exist_ok=True)
        _as_server_user(self.root, own=True)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        return self

    def start(self, **settings: str) -> Server:
        options = {"port": str(self.port), "listen_addresses": "127.0.0.1", "unix_socket_directories": "''",
                   "wal_level": "logical", "max_wal_senders": "20", "max_replication_slots": "20",
                   # a subscriber's apply worker per province and its first copies (4 by default: with 3
                   # provinces the first copies queued for half a minute)
                   "max_logical_replication_workers": "16", "max_worker_processes": "24",
                   "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", **settings}
        flags = " ".join(f"-c {k}={v}" for k, v in options.items())
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60", "-o", flags, "start")
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")

    def replica(self, name: str, port: int) -> Server:
        """A hot standby of this server, streaming from it (``pg_basebackup -R``), started."""
        standby = Server(self.root, name, port)
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-D",
                  str(standby.data), "-R", "-X", "stream", "-c", "fast", "--no-sync")
        return standby.start(hot_standby="on")

    def execute(self, query: str, params: tuple[Any, ...] = (), database: str = "postgres") -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cur = conn.execute(query, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []


def remove(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


@contextmanager
def serving_app(app: Any, port: int, recorder: Recorder | None = None, *, merge: bool = True) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in a thread; yields its base URL. With a ``recorder``, its
    calls are kept for the OpenAPI examples and written when it stops (``merge``: beside the file's others)."""
    from xiaofei.http.protocol import HTTP_PROTOCOL

    server = uvicorn.Server(uvicorn.Config(recorder.wrap(app) if recorder else app, host="127.0.0.1", port=port,
                                           log_config=None, access_log=False, lifespan="on", http=HTTP_PROTOCOL))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        if recorder:
            recorder.write(merge=merge)


@contextmanager
def serving(services: Any, port: int, *, record: bool = False) -> Iterator[str]:
    """The API of ``services`` (``serving_app``); with ``record`` and XIAOFEI_RECORD_EXAMPLES set, its calls add to
    the OpenAPI examples (``tests/recording.py``)."""
    from xiaofei.http.app import create_app

    recorder = Recorder() if record and os.environ.get("XIAOFEI_RECORD_EXAMPLES") else None
    with serving_app(create_app(services), port, recorder) as url:
        yield url
