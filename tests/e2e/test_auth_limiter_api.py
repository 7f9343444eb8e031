"""The failed-authentication limiter (issue 23.6), through the real ``xiaofei serve`` command line and its uvicorn
settings: a valid token is never refused by it, and a client cannot dodge it by varying ``X-Forwarded-For``
(uvicorn believes that header from 127.0.0.1 unless told otherwise)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import bearer
from tests.serve_process import serve

pytestmark = pytest.mark.slow


def test_a_valid_token_passes_a_limited_address_and_forwarded_addresses_are_not_believed(
        tmp_path: Path, fresh_dsn: str) -> None:
    with serve(tmp_path / "data", database_url=fresh_dsn) as served, \
            httpx.Client(base_url=served.base, timeout=30) as http:
        # 1,000 bad tokens, each claiming another address: the limit (30 a minute) is met all the same
        statuses = [http.get("/projections", headers={**bearer(f"xf_wrong{i}"),
                                                      "X-Forwarded-For": f"10.{i // 250}.{i % 250}.7"}).status_code
                    for i in range(1000)]
        assert statuses[:30] == [401] * 30
        assert set(statuses[30:]) == {429}
        refused = http.get("/projections", headers=bearer("xf_wrong"))
        assert refused.status_code == 429 and refused.headers["Retry-After"]
        assert refused.headers["content-type"].startswith("application/problem+json")
        # the admin behind the same address is served: a valid token is never refused by the limiter
        for _ in range(3):
            assert http.get("/projections", headers=bearer(served.admin)).status_code == 200
        assert http.get("/projections").status_code == 429  # no token at all is a failure like a bad one
