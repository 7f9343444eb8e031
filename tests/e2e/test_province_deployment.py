"""One deployment per province (issue 12 §1): ``XIAOFEI_PROVINCE`` names it, a county of another province is
refused wherever it could enter (registration, a token's scope, a path), and the service will not start on a
database that already holds another province's county. Real processes (`xiaofei token create`, `xiaofei serve`)
over real HTTP, on a database of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET, _free_port, bearer


def _env(dsn: str, data_dir: Path, province: str, port: int = 0) -> dict[str, str]:
    return {**os.environ, "XIAOFEI_DATABASE_URL": dsn, "XIAOFEI_SECRET_KEY": TEST_SECRET,
            "XIAOFEI_PROVINCE": province, "XIAOFEI_PORT": str(port), "XIAOFEI_DATA_DIR": str(data_dir),
            "XIAOFEI_LOG_LEVEL": "WARNING"}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xiaofei.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_a_province_deployment_refuses_counties_of_another_province(fresh_dsn: str, tmp_path: Path) -> None:
    port = _free_port()
    env = _env(fresh_dsn, tmp_path, "360000", port)
    # given a deployment configured for Jiangxi (36) with an admin token
    made = _cli(env, "token", "create", "--role", "admin", "--label", "province admin")
    assert made.returncode == 0, made.stderr
    admin = bearer(made.stdout.strip())
    with subprocess.Popen([sys.executable, "-m", "xiaofei.cli", "serve"], env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
                time.sleep(0.1)
            with httpx.Client(base_url=url, timeout=60) as http:
                # when it registers one of its own counties, then it is accepted
                r = http.post("/counties", headers=admin, json={"code": "360724", "name": "上犹县", "province": "江西省"})
                assert r.status_code == 201, r.text
                r = http.get("/counties", headers=admin, params={"min_position": r.json()["position"]})
                assert [c["code"] for c in r.json()] == ["360724"]
                # when it registers a county of Hubei (42), then a 422 names the field and the province, nothing written
                r = http.post("/counties", headers=admin, json={"code": "421081", "name": "石首市", "province": "湖北省"})
                assert r.status_code == 422, r.text
                assert r.headers["content-type"].startswith("application/problem+json")
                problem = r.json()
                assert problem["errors"][0]["field"] == "code" and "province 36" in problem["errors"][0]["reason"]
                # a token scoped to another province's county, or to another province, is refused
                for role, counties in (("county_official", ["421081"]), ("province_official", ["420000"])):
                    r = http.post("/admin/tokens", headers=admin, json={"role": role, "counties": counties})
                    assert r.status_code == 422, r.text
                    assert r.json()["errors"][0]["field"] == "counties"
                # and a path of another province's county (or of another province) is not here, whoever asks
                tokens = {}
                for role, counties in (("county_official", ["360724"]), ("province_official", ["360000"])):
                    r = http.post("/admin/tokens", headers=admin, json={"role": role, "counties": counties})
                    assert r.status_code == 201, r.text
                    tokens[role] = bearer(r.json()["token"])
                r = http.get("/counties/421081/households/4210810001", headers=tokens["county_official"])
                assert r.status_code == 404 and "province 36" in r.json()["detail"], r.text
                r = http.get("/provinces/420000/dashboard", headers=tokens["province_official"])
                assert r.status_code == 404 and "province 36" in r.json()["detail"], r.text
                # a policy parameter scoped to another province (or one of its counties) is refused too
                for scope in ("420000", "421081"):
                    r = http.post(f"/policy/scopes/{scope}/parameters", headers=admin, json={
                        "name": "monitoring.threshold_fen", "value": "870000", "effective_from": "2025-01-01",
                        "source": "鄂乡振〔2025〕1号"})
                    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "scope", r.text
                r = http.post("/policy/scopes/360000/parameters", headers=admin, json={
                    "name": "monitoring.threshold_fen", "value": "870000", "effective_from": "2025-01-01",
                    "source": "赣乡振〔2025〕1号"})
                assert r.status_code == 201, r.text
                # the county list is still just the one
                assert [c["code"] for c in http.get("/counties", headers=admin).json()] == ["360724"]
        finally:
            proc.terminate()
            assert proc.wait(timeout=30) == 0
    # when the same database is started as Hubei's deployment, then it refuses, naming the county it holds
    refused = _cli(_env(fresh_dsn, tmp_path, "42"), "token", "create", "--role", "admin", "--label", "x")
    assert refused.returncode == 2
    assert "XIAOFEI_PROVINCE=42" in refused.stderr and "360724" in refused.stderr
