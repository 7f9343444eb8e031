"""Runs last (its folder sorts after every other): every projection rebuilt from the events of the whole suite's
database gives exactly the rows the live projectors built, batch by batch, while the other tests ran."""

from __future__ import annotations

import pytest

from tests.integration.test_projections import projection_tables, snapshot, wait_caught_up
from xiaofei.bootstrap import Services
from xiaofei.projectors.base import live_schema, rebuild
from xiaofei.projectors.catalog import PROJECTIONS


def _where_they_differ(services: Services, counties: set[str]) -> str:
    """What a failure needs to be understood: positions, halted counties and the upstream rows of the counties
    whose rows differ (a county code is the first column of every read-model row compared here)."""
    out = []
    with services.params.connect() as conn:
        for name in sorted(PROJECTIONS):
            schema = live_schema(name)
            position = conn.execute(f"SELECT max(notification_id) FROM {schema}.tracking").fetchone()
            halted = conn.execute(f"SELECT county, position, error FROM {schema}.halted_partitions").fetchall()
            out.append(f"{name}: position {position[0]}, halted {halted}")
        out.append(f"head {services.app.head_position()}")
        for county in sorted(counties)[:3]:
            rows = conn.execute("SELECT subsidy, month, amount_fen, eligible, slip_version, payee FROM"
                                " rm_employment.entitlements WHERE county = %s ORDER BY month, subsidy", (county,))
            out.append(f"{county} entitlements: {rows.fetchall()}")
            for upstream in ("registry", "employment", "consumption", "income"):
                stamps = conn.execute(f"SELECT position FROM {live_schema(upstream)}.changed_counties"
                                      " WHERE county = %s ORDER BY position", (county,)).fetchall()
                out.append(f"{county} {upstream} stamps: {[s[0] for s in stamps]}")
    return "\n".join(out)


@pytest.mark.parametrize("name", sorted(PROJECTIONS))
def test_a_rebuild_of_the_whole_suites_database_gives_the_live_rows(services: Services, name: str) -> None:
    wait_caught_up(services, name, timeout=120)
    schema = live_schema(name)
    live = snapshot(services, schema, projection_tables(services, schema))
    assert rebuild(services.app, PROJECTIONS[name], services.params, batch_size=1000) > 0
    rebuilt = snapshot(services, schema, projection_tables(services, schema))
    for table in live:
        if rebuilt[table] == live[table]:
            continue
        live_rows, rebuilt_rows = set(map(repr, live[table])), set(map(repr, rebuilt[table]))
        only_live, only_rebuilt = sorted(live_rows - rebuilt_rows)[:20], sorted(rebuilt_rows - live_rows)[:20]
        differing = live_rows ^ rebuilt_rows  # once: inside the comprehension it made the check quadratic
        counties = {str(r[0]) for r in [*live[table], *rebuilt[table]] if repr(r) in differing}
        assert rebuilt[table] == live[table], (
            f"{name}.{table} differs after a rebuild;\n live only: {only_live}\n rebuilt only: {only_rebuilt}\n"
            + (_where_they_differ(services, counties) if counties else ""))
