"""The last active admin token cannot be revoked through the API: after it, only the server's CLI could issue
another. On a database of its own, so the session's admin token is never the one at stake."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET, bearer
from tests.servers import serving
from xiaofei.bootstrap import Services, build
from xiaofei.config import load_settings
from xiaofei.database import Database
from xiaofei.domain.errors import Conflict


@pytest.fixture(autouse=True)
def real_clock() -> None:
    """These tests do not use the session's services (the e2e fixture of this name would start them)."""


@pytest.fixture
def own_services(fresh_dsn: str, tmp_path: Path) -> Iterator[Services]:
    svc = build(load_settings({}, database_url=fresh_dsn, secret_key=TEST_SECRET, data_dir=str(tmp_path),
                              db_pool_size=2), Database(dsn=fresh_dsn))
    svc.start_projectors()
    try:
        yield svc
    finally:
        svc.close()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_last_active_admin_token_is_not_revoked_and_stays_usable(own_services: Services) -> None:
    first = own_services.access.issue_first_admin()
    assert first is not None
    with serving(own_services, _port()) as url, httpx.Client(base_url=url, timeout=30) as c:
        admin = bearer(first.secret)
        # Given a second admin token, issued a moment ago
        r = c.post("/admin/tokens", headers=admin, json={"role": "admin", "label": "deputy"})
        assert r.status_code == 201, r.text
        deputy, deputy_id = bearer(r.json()["token"]), r.json()["token_id"]
        # When the deputy revokes the first admin token, it is revoked: another admin remains
        r = c.post(f"/admin/tokens/{first.token_id}/revoke", headers=deputy, json={"reason": "handed over"})
        assert r.status_code == 201, r.text
        # And when the deputy then revokes its own token, the last active admin token
        r = c.post(f"/admin/tokens/{deputy_id}/revoke", headers=deputy, json={"reason": "leaving"})
        # Then it is refused with a reason, nothing is written, and the token still works
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "last active admin token" in r.json()["detail"]
        head = own_services.app.head_position()
        assert c.get("/admin/tokens", headers=deputy, params={"role": "admin"}).status_code == 200
        assert own_services.app.head_position() == head
        # A non-admin token is revoked as before
        r = c.post("/admin/tokens", headers=deputy, json={"role": "national_official", "label": "statistics"})
        assert r.status_code == 201, r.text
        r = c.post(f"/admin/tokens/{r.json()['token_id']}/revoke", headers=deputy, json={"reason": "done"})
        assert r.status_code == 201, r.text


def test_two_revocations_racing_for_the_last_two_admin_tokens_leave_one(own_services: Services) -> None:
    access = own_services.access
    first = access.issue_first_admin()
    assert first is not None
    survivor = first.token_id
    for _ in range(5):
        # Given exactly two active admin tokens
        other = access.issue("admin", [], None, "deputy", "test")
        pair = [survivor, other.token_id]
        outcomes: list[str] = []
        start = threading.Barrier(2)

        def revoke(token_id: object) -> None:
            start.wait()
            try:
                access.revoke(token_id, "race", "test")  # type: ignore[arg-type]
                outcomes.append("revoked")
            except Conflict:
                outcomes.append("refused")

        # When both are revoked at the same moment
        threads = [threading.Thread(target=revoke, args=(t,)) for t in pair]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Then exactly one revocation passes and one admin token stays active
        assert sorted(outcomes) == ["refused", "revoked"]
        alive = [t for t in pair if not own_services.app.repository.get(t).revoked]
        assert len(alive) == 1
        survivor = alive[0]
