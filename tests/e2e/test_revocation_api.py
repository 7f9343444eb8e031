"""Access follows the event log at once: a token issued is usable and a token revoked is refused from the very next
request, even while the access read model is stalled; repeated failed authentications are throttled per address."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.conftest import bearer
from xiaofei.bootstrap import Services
from xiaofei.http.auth import FailedAuthLimiter
from xiaofei.projectors.base import lock_key


@pytest.fixture
def access_projector_stalled(database_dsn: str) -> Iterator[None]:
    """Hold the access projection's lock, as a stuck or crashed projector would leave it."""
    with psycopg.connect(database_dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (lock_key("access"),))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (lock_key("access"),))


async def test_a_revoked_token_is_refused_from_the_very_next_request_even_with_the_access_model_stalled(
        http: httpx.AsyncClient, county_code: str, admin_token: str, access_projector_stalled: None) -> None:
    for attempt in range(10):
        r = await http.post("/admin/tokens", headers=bearer(admin_token), json={
            "role": "county_official", "counties": [county_code], "label": f"revocation {attempt}"})
        assert r.status_code == 201, r.text
        token, token_id = r.json()["token"], r.json()["token_id"]
        # usable at once, though the access model cannot have seen it
        assert (await http.get(f"/counties/{county_code}/flags", headers=bearer(token))).status_code == 200
        r = await http.post(f"/admin/tokens/{token_id}/revoke", headers=bearer(admin_token),
                            json={"reason": "left the office"})
        assert r.status_code == 201, r.text
        r = await http.get(f"/counties/{county_code}/flags", headers=bearer(token))
        assert r.status_code == 401, (attempt, r.text)


async def test_failed_authentications_from_one_address_are_throttled_with_retry_after(
        base_url: str, services: Services, county_code: str, admin_token: str) -> None:
    limit = services.settings.auth_failures_per_minute
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.3")
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=30) as attacker:
        for _ in range(limit):
            r = await attacker.get(f"/counties/{county_code}/flags", headers=bearer("xf_guess"))
            assert r.status_code == 401
        r = await attacker.get(f"/counties/{county_code}/flags", headers=bearer("xf_guess"))
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        # a valid token from the throttled address is served (issue 23.6: one proxy's users share an address)
        r = await attacker.get("/projections", headers=bearer(admin_token))
        assert r.status_code == 200, r.text
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as other:
        assert (await other.get("/projections", headers=bearer(admin_token))).status_code == 200


def test_the_throttle_forgets_failures_older_than_a_minute() -> None:
    now = [1000.0]
    limiter = FailedAuthLimiter(3, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("a") is None
        limiter.failed("a")
    assert limiter.retry_after("a") == 61
    assert limiter.retry_after("b") is None
    now[0] += 30
    assert limiter.retry_after("a") == 31
    now[0] += 31
    assert limiter.retry_after("a") is None and limiter.failures == {}
