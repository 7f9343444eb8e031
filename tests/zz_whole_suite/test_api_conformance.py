"""The API keeps the promises of its own OpenAPI document, checked by schemathesis over real HTTP.

schemathesis (its own runner, in a subprocess) sends every operation schema-driven requests: the examples, the
boundaries of every constraint (coverage), random valid and invalid data (fuzzing) and chains of calls following
the responses (stateful), from a fixed seed so that CI runs the same cases. Every check is on: no answer is a 5xx,
every answer has a documented status, content type, headers and body schema, and a request without a token is
refused. Each operation is called with the token of a role it serves, on a county, an organisation and a workshop
that exist, so that most cases reach the rules rather than stop at 403.

It runs after the rest of the suite (``zz_whole_suite``): its stateful chains list every token (GET /admin/tokens)
and revoke them, as an admin may — the tokens of every other test included.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import bearer
from tests.e2e.test_employment_api import Scene, build_scene
from xiaofei.bootstrap import Services
from xiaofei.http.auth import FailedAuthLimiter
from xiaofei.http.openapi import operation_roles

SEED = 20261203
EXAMPLES = 25
PREFERENCE = ("county_official", "employer", "seller", "buyer", "admin", "auditor", "province_official",
              "national_official")


@pytest.fixture
def unthrottled(live_app: Any) -> Iterator[None]:
    """schemathesis calls every protected operation without a token too: hundreds of failures within a minute."""
    limiter = live_app.state.auth_limiter
    live_app.state.auth_limiter = FailedAuthLimiter(1_000_000)
    try:
        yield
    finally:
        live_app.state.auth_limiter = limiter


def _config(scene: Scene, tokens: dict[str, dict[str, str]], roles: dict[str, frozenset[str] | None]) -> str:
    lines = [f"seed = {SEED}", "workers = 1", "",
             "[generation]", f"max-examples = {EXAMPLES}", "deterministic = true", "",
             "[phases.stateful]", "max-steps = 6", "",
             # A request the schema admits may still break a rule (a date past the business range, a credit code
             # with a wrong check character): 422 is the answer then, never 400 (the schema lied) nor a 5xx.
             "[checks.positive_data_acceptance]", 'expected-statuses = ["2xx", 401, 403, 404, 409, 422, 429]', "",
             "[parameters]", f'"path.county" = "{scene.county}"', f'"path.org" = "{scene.org}"',
             f'"path.workshop_id" = "{scene.workshop}"', f'"path.province" = "{scene.county[:2]}0000"', ""]
    for role in PREFERENCE:
        ops = sorted(op for op, allowed in roles.items()
                     if allowed is not None and next(r for r in PREFERENCE if r in allowed) == role)
        if ops:
            lines += ["[[operations]]", f"include-operation-id = {json.dumps(ops)}",
                      f"headers = {{ Authorization = {json.dumps(tokens[role]['Authorization'])} }}", ""]
    return "\n".join(lines)


async def test_every_answer_is_documented_and_none_is_a_server_error(
        base_url: str, services: Services, admin_token: str, live_app: Any, tmp_path: Path,
        unthrottled: None) -> None:
    services.registry.register_county("360777", "一致性县", "江西省", "test")
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        scene = await build_scene(http, services, "360777", admin_token, workers=2)
    auditor = services.access.issue("auditor", [scene.county], None, "conformance auditor", "test").secret
    own_admin = services.access.issue("admin", [], None, "conformance admin", "test").secret  # not the suite's
    seller = services.access.issue("seller", [], scene.org, "conformance seller", "test").secret
    buyer = services.access.issue("buyer", [], scene.org, "conformance buyer", "test").secret
    province = services.access.issue("province_official", [f"{scene.county[:2]}0000"], None, "conformance province",
                                     "test").secret
    national = services.access.issue("national_official", [], None, "conformance national", "test").secret
    tokens = {"county_official": scene.official, "employer": scene.employer, "admin": bearer(own_admin),
              "auditor": bearer(auditor), "seller": bearer(seller),
              "buyer": bearer(buyer), "province_official": bearer(province), "national_official": bearer(national)}
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(scene, tokens, operation_roles(live_app)), encoding="utf-8")
    run = subprocess.run(
        [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config), "run",
         f"{base_url}/schema/openapi.json", "--checks", "all", "--no-color"],
        capture_output=True, text=True, timeout=1200, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]
