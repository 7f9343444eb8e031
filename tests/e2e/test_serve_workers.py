"""`xiaofei serve` with several HTTP worker processes, over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.conftest import TEST_SECRET, _free_port, bearer, official_token
from xiaofei.bootstrap import Services


def test_serve_with_two_workers_answers_and_stops_cleanly(services: Services, database_dsn: str,
                                                          county_code: str, tmp_path: object) -> None:
    port = _free_port()
    env = {**os.environ, "XIAOFEI_DATABASE_URL": database_dsn, "XIAOFEI_PORT": str(port),
           "XIAOFEI_SECRET_KEY": TEST_SECRET, "XIAOFEI_WORKERS": "2", "XIAOFEI_RUN_PROJECTORS": "false",
           "XIAOFEI_DATA_DIR": str(tmp_path), "XIAOFEI_LOG_LEVEL": "WARNING"}
    token = official_token(services, county_code)  # projected by this session's in-process projectors
    with subprocess.Popen([sys.executable, "-m", "xiaofei.cli", "serve"], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL) as proc:
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
                time.sleep(0.1)
            answers = {httpx.get(f"http://127.0.0.1:{port}/counties", headers=bearer(token)).status_code
                       for _ in range(20)}
            assert answers == {200}
        finally:
            proc.terminate()
            assert proc.wait(timeout=30) == 0
