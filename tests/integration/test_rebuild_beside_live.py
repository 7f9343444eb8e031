"""A rebuild runs beside the live projector of the same projection without stopping it (issue 12 review): while
`xiaofei rebuild` works through the log, new events are still applied to the live read model within seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET
from tests.helpers import households_csv
from xiaofei.bootstrap import Services, build
from xiaofei.config import load_settings
from xiaofei.database import Database
from xiaofei.projectors.base import rebuild
from xiaofei.projectors.registry import RegistryProjection

COUNTY = "360724"


@pytest.fixture
def live(fresh_dsn: str, tmp_path: Path) -> Iterator[Services]:
    services = build(load_settings({}, database_url=fresh_dsn, secret_key=TEST_SECRET, data_dir=str(tmp_path)),
                     Database(dsn=fresh_dsn))
    try:
        services.registry.register_county(COUNTY, "上犹县", "江西省", "test")
        services.importer.run(COUNTY, "bulk.csv", households_csv(COUNTY, 3000), "test")
        services.start_projectors()
        yield services
    finally:
        services.close()


def _registry_at(services: Services) -> int:
    with services.params.connect() as conn:
        return int(conn.execute("SELECT coalesce(max(notification_id), 0) FROM rm_registry.tracking").fetchone()[0])


def test_the_live_projector_keeps_applying_while_its_projection_is_rebuilt(live: Services) -> None:
    head = live.app.head_position()
    deadline = time.monotonic() + 120
    while _registry_at(live) < head:  # given the live registry caught up
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # when the registry is rebuilt in small batches (hundreds of transactions under the rebuild's lock)
    failed: list[BaseException] = []

    def run() -> None:
        try:
            rebuild(live.app, RegistryProjection, live.params, batch_size=5)
        except BaseException as e:  # noqa: BLE001 - reported below
            failed.append(e)

    rebuilding = threading.Thread(target=run)
    rebuilding.start()
    try:
        time.sleep(0.3)
        # then households registered meanwhile reach the live read model within seconds, rebuild or not
        reached_during = 0
        for i in range(5):
            position = live.importer.run(COUNTY, f"new{i}.csv", households_csv(COUNTY, 1, start=10_000 + i),
                                         "test").position
            deadline = time.monotonic() + 2
            while _registry_at(live) < position:
                assert time.monotonic() < deadline, f"live registry stuck at {_registry_at(live)} < {position}"
                time.sleep(0.02)
            reached_during += rebuilding.is_alive()
        assert reached_during >= 3, f"the rebuild finished early ({reached_during} of 5 during it): nothing was shown"
    finally:
        rebuilding.join(timeout=300)
    assert not failed, failed
    # and the rebuilt model, swapped in, has every household
    with live.params.connect() as conn:
        assert conn.execute("SELECT count(*) FROM rm_registry.households").fetchone()[0] == 3005
