"""The household import checks and writes a file in chunks (bounded memory) and stays all-or-nothing."""

from __future__ import annotations

import psycopg
import pytest

from tests.helpers import households_csv
from xiaofei.application.importer import CHUNK
from xiaofei.bootstrap import Services
from xiaofei.domain import ids
from xiaofei.domain.errors import InvalidInput


def _events(services: Services) -> int:
    with psycopg.connect(services.database.dsn) as conn:
        row = conn.execute("SELECT count(*) FROM xiaofei_events").fetchone()
    assert row is not None
    return int(row[0])


def test_a_wrong_row_after_several_chunks_writes_nothing(services: Services, county_code: str) -> None:
    """Given a file of more households than one chunk whose last household has a broken ID number, when it is
    imported, then the answer names that row and no event of any earlier chunk is written."""
    count = 2 * CHUNK + 5
    lines = households_csv(county_code, count).decode().splitlines()
    cells = lines[-1].split(",")
    cells[5] = cells[5][:-1] + ("0" if cells[5][-1] != "0" else "1")  # the check digit no longer matches
    lines[-1] = ",".join(cells)
    before, head = _events(services), services.app.head_position()
    with pytest.raises(InvalidInput) as err:
        services.importer.run(county_code, "late.csv", ("\n".join(lines) + "\n").encode(), "test")
    assert [(p.row, p.field) for p in err.value.problems] == [(len(lines), "id_number")]
    assert (_events(services), services.app.head_position()) == (before, head)


def test_households_already_imported_count_as_unchanged_across_chunks(services: Services, county_code: str) -> None:
    """Given the first CHUNK + 200 households imported, when a file of them and 300 more is imported, then 300 are
    registered and the rest unchanged, in one import event more than the households."""
    services.importer.run(county_code, "first.csv", households_csv(county_code, CHUNK + 200), "test")
    before = _events(services)
    result = services.importer.run(county_code, "all.csv", households_csv(county_code, CHUNK + 500), "test")
    assert (result.households, result.registered, result.unchanged) == (CHUNK + 500, 300, CHUNK + 200)
    assert _events(services) == before + 300 + 1


def test_rows_of_a_household_need_not_be_adjacent(services: Services, county_code: str) -> None:
    """Given a file whose second household's rows sit between the first's, when it is imported, then each household
    has its own members and the households are recorded in the order of their first rows."""
    header, *rows = households_csv(county_code, 2).decode().splitlines()
    interleaved = [header, rows[0], rows[2], rows[1], rows[3]]
    result = services.importer.run(county_code, "mixed.csv", ("\n".join(interleaved) + "\n").encode(), "test")
    assert (result.rows, result.households, result.registered) == (4, 2, 2)
    with psycopg.connect(services.database.dsn) as conn:
        recorded = conn.execute("SELECT originator_id FROM xiaofei_events WHERE originator_version = 1"
                                " ORDER BY notification_id DESC LIMIT 3").fetchall()
    first, second = (ids.household_id(county_code, f"{county_code}H{h:07d}") for h in (0, 1))
    assert [r[0] for r in recorded][1:] == [second, first]  # the import's own event is the last
    members = services.app.repository.get(first).members
    assert sorted(members) == [f"{county_code}H000000001", f"{county_code}H000000002"]
