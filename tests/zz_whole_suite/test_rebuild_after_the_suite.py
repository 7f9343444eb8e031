"""Runs last (its folder sorts after every other): every projection rebuilt from the events of the whole suite's
database gives exactly the rows the live projectors built, batch by batch, while the other tests ran."""

from __future__ import annotations

import pytest

from tests.integration.test_projections import projection_tables, snapshot, wait_caught_up
from xiaofei.bootstrap import Services
from xiaofei.projectors.base import live_schema, rebuild
from xiaofei.projectors.catalog import PROJECTIONS


@pytest.mark.parametrize("name", sorted(PROJECTIONS))
def test_a_rebuild_of_the_whole_suites_database_gives_the_live_rows(services: Services, name: str) -> None:
    wait_caught_up(services, name, timeout=120)
    schema = live_schema(name)
    live = snapshot(services, schema, projection_tables(services, schema))
    assert rebuild(services.app, PROJECTIONS[name], services.params, batch_size=1000) > 0
    rebuilt = snapshot(services, schema, projection_tables(services, schema))
    for table in live:
        assert rebuilt[table] == live[table], f"{name}.{table} differs after a rebuild"
