"""``xiaofei serve`` as a process of its own (the real command line, its real uvicorn settings), for tests that need
what only a whole process has: how uvicorn reads forwarded headers, a database that stops under it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import _free_port


@dataclass
class Served:
    base: str
    admin: str
    process: subprocess.Popen[str]


@contextmanager
def serve(data_dir: Path, **settings: str) -> Iterator[Served]:
    """``xiaofei serve`` with ``settings`` (``database_url="postgresql://…"`` → ``XIAOFEI_DATABASE_URL``), once it
    has printed its admin token and ``/health`` answers 200; terminated afterwards."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIAOFEI_")}
    env.update({"XIAOFEI_PORT": str(port), "XIAOFEI_DATA_DIR": str(data_dir), "XIAOFEI_LOG_LEVEL": "WARNING"})
    env.update({f"XIAOFEI_{k.upper()}": v for k, v in settings.items()})
    base = f"http://127.0.0.1:{port}"
    with subprocess.Popen([sys.executable, "-m", "xiaofei.cli", "serve"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as proc:
        try:
            admin = None
            deadline = time.monotonic() + 120
            assert proc.stdout is not None
            while admin is None:
                line = proc.stdout.readline()
                found = re.search(r"(xf_[A-Za-z0-9_-]{20,})", line)
                if found:
                    admin = found.group(1)
                assert time.monotonic() < deadline and proc.poll() is None, "no admin token printed"
            while True:
                try:
                    if httpx.get(f"{base}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
                time.sleep(0.1)
            yield Served(base, admin, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
