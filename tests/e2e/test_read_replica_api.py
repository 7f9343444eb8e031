"""Dashboard and query reads from a streaming replica (issue 12 §3), with a real hot standby the test makes
(``pg_basebackup`` from a primary it starts, on another port): every query endpoint reads the replica, commands
and tokens stay on the primary, and read-your-writes still holds — a read carrying ``min_position`` waits until
the replica has replayed the projections' commit past it, bounded, else 503 with Retry-After."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import servers
from tests.conftest import TEST_SECRET, _free_port, bearer, official_token
from tests.helpers import household_payload
from xiaofei.bootstrap import Services, build
from xiaofei.config import load_settings
from xiaofei.database import Database

pytestmark = pytest.mark.skipif(servers.unavailable() is not None, reason=str(servers.unavailable()))

COUNTY = "360724"
WAIT = 4.0


@dataclass
class Deployment:
    url: str
    services: Services
    primary: servers.Server
    replica: servers.Server
    admin: dict[str, str]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = Path(tmp_path_factory.mktemp("replica"))
    primary = servers.Server(root, "primary", _free_port()).init().start()
    try:
        primary.execute("CREATE DATABASE xiaofei")
        replica = primary.replica("replica", _free_port())
        try:
            settings = load_settings({}, database_url=primary.url("xiaofei"), read_replica_url=replica.url("xiaofei"),
                                     secret_key=TEST_SECRET, read_wait_seconds=WAIT,
                                     data_dir=str(tmp_path_factory.mktemp("replica-data")))
            services = build(settings, Database(dsn=primary.url("xiaofei")))
            services.start_projectors()
            try:
                admin = bearer(services.access.issue("admin", [], None, "replica admin", "test").secret)
                with servers.serving(services, _free_port()) as url:
                    yield Deployment(url, services, primary, replica, admin)
            finally:
                services.close()
        finally:
            if "replica" in locals():
                replica.stop()
    finally:
        primary.stop()
        servers.remove(root)


def _household(http: httpx.Client, official: dict[str, str], number: str) -> int:
    r = http.post(f"/counties/{COUNTY}/households", headers=official, json=household_payload(COUNTY, number))
    assert r.status_code == 201, r.text
    return int(r.json()["position"])


def test_reads_wait_for_the_replica_to_replay_the_write_and_answer_503_while_it_does_not(
        deployment: Deployment) -> None:
    d = deployment
    assert d.replica.execute("SELECT pg_is_in_recovery()") == [(True,)]
    with httpx.Client(base_url=d.url, timeout=60) as http:
        # given a county with one household, read back through the replica
        r = http.post("/counties", headers=d.admin, json={"code": COUNTY, "name": "上犹县", "province": "江西省"})
        assert r.status_code in (201, 409), r.text
        official = bearer(official_token(d.services, COUNTY))
        first = _household(http, official, "3607240001")
        r = http.get(f"/counties/{COUNTY}/households/3607240001", headers=official, params={"min_position": first})
        assert r.status_code == 200, r.text
        # when the replica stops replaying the primary's WAL and a second household is registered
        d.replica.execute("SELECT pg_wal_replay_pause()")
        try:
            second = _household(http, official, "3607240002")  # the command is the primary's: accepted
            # then a read carrying its position waits (bounded) and answers 503 with Retry-After, not a 422:
            # the primary's log has the position, the replica has not replayed it yet
            started = time.monotonic()
            r = http.get(f"/counties/{COUNTY}/households/3607240002", headers=official,
                         params={"min_position": second})
            assert r.status_code == 503 and r.headers["Retry-After"], r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert WAIT - 0.5 <= time.monotonic() - started < WAIT + 5
            # a read without the position answers what the replica has: the household is not there yet
            r = http.get(f"/counties/{COUNTY}/households/3607240002", headers=official)
            assert r.status_code == 404, r.text
            # while tokens are the primary's: one issued now works at once
            fresh = bearer(official_token(d.services, COUNTY))
            assert http.get("/counties", headers=fresh).status_code == 200
        finally:
            d.replica.execute("SELECT pg_wal_replay_resume()")
        # when the replica replays again, then the same read answers the household
        r = http.get(f"/counties/{COUNTY}/households/3607240002", headers=official, params={"min_position": second})
        assert r.status_code == 200 and r.json()["household_number"] == "3607240002", r.text
        # and a position no write returned is still a 422 naming the parameter (the primary's head decides)
        r = http.get(f"/counties/{COUNTY}/households/3607240002", headers=official,
                     params={"min_position": second + 1_000_000})
        assert r.status_code == 422 and "min_position" in r.text, r.text


def test_prefer_wait_answers_once_the_replica_has_the_write(deployment: Deployment) -> None:
    d = deployment
    with httpx.Client(base_url=d.url, timeout=60) as http:
        r = http.post("/counties", headers=d.admin, json={"code": COUNTY, "name": "上犹县", "province": "江西省"})
        assert r.status_code in (201, 409), r.text
        official = bearer(official_token(d.services, COUNTY))
        # given the replica paused, a command sent with Prefer: wait is answered without the preference applied
        d.replica.execute("SELECT pg_wal_replay_pause()")
        try:
            r = http.post(f"/counties/{COUNTY}/households", headers={**official, "Prefer": "wait=1"},
                          json=household_payload(COUNTY, "3607240003"))
            assert r.status_code == 201 and "preference-applied" not in r.headers, r.text
        finally:
            d.replica.execute("SELECT pg_wal_replay_resume()")
        # when the replica replays, the next command with Prefer: wait is answered once the replica has it,
        # so the read right after it (no position carried) sees it
        r = http.post(f"/counties/{COUNTY}/households", headers={**official, "Prefer": "wait=4"},
                      json=household_payload(COUNTY, "3607240004"))
        assert r.status_code == 201 and r.headers["preference-applied"] == "wait=4", r.text
        r = http.get(f"/counties/{COUNTY}/households/3607240004", headers=official)
        assert r.status_code == 200, r.text


def test_ready_names_an_unreachable_replica_and_reads_answer_503_until_it_is_back(deployment: Deployment) -> None:
    d = deployment
    with httpx.Client(base_url=d.url, timeout=60) as http:
        assert http.get("/ready").status_code == 200
        r = http.post("/counties", headers=d.admin, json={"code": COUNTY, "name": "上犹县", "province": "江西省"})
        assert r.status_code in (201, 409), r.text
        official = bearer(official_token(d.services, COUNTY))
        # given the replica down
        d.replica.stop()
        try:
            # then /ready says so (a load balancer takes this API process out), reads answer 503 with Retry-After
            r = http.get("/ready")
            assert r.status_code == 503 and "read replica unreachable" in r.text and r.headers["Retry-After"]
            r = http.get("/counties", headers=official)
            assert r.status_code == 503 and r.headers["Retry-After"], r.text
            # and commands, the primary's, are still accepted
            r = http.post(f"/counties/{COUNTY}/households", headers=official,
                          json=household_payload(COUNTY, "3607240005"))
            assert r.status_code == 201, r.text
            position = r.json()["position"]
        finally:
            d.replica.start(hot_standby="on")
        # when it is back, it catches up from the primary and the read of the write answers
        deadline = time.monotonic() + 30
        while (r := http.get(f"/counties/{COUNTY}/households/3607240005", headers=official,
                             params={"min_position": position})).status_code == 503:
            assert time.monotonic() < deadline, r.text
            time.sleep(0.5)
        assert r.status_code == 200, r.text
        assert http.get("/ready").status_code == 200
