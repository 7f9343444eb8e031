"""Concurrent readers and writers of one aggregate never see it change under them (issue 7 §4: "dictionary
changed size during iteration" in 3 of 800 concurrent writes to one payroll)."""

from __future__ import annotations

import threading
import time
from datetime import date
from uuid import uuid4

from eventsourcing.application import Repository

from tests.helpers import id_number
from xiaofei.bootstrap import Services
from xiaofei.domain.employment import Employment, Workshop


def _hammer(repository: Repository, services: Services, county: str, seconds: float = 2.0) -> list[str]:
    """One writer adds workers to a workshop while four readers copy it and walk its workers."""
    ws = Workshop(organisation="ORG", county=county, name="车间", workshop_type="factory",
                  village_code=f"{county}100001", premises="", actor="test")
    for i in range(300):
        ws.hire(Employment(employment_id=uuid4(), id_hash=f"h{i}", id_masked="x", name="工人", contract_type="labour_contract",
                           start=date(2024, 1, 1), end=None, pay_form="monthly"), "test")
    services.app.record(ws)
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def write() -> None:
        n = 300
        while time.monotonic() < stop:
            fresh: Workshop = repository.get(ws.id)
            fresh.hire(Employment(employment_id=uuid4(), id_hash=f"h{n}", id_masked="x", name="工人",
                                  contract_type="labour_contract", start=date(2024, 1, 1), end=None,
                                  pay_form="monthly"), "test")
            services.app.record(fresh)
            n += 1

    def read(copy: bool) -> None:
        while time.monotonic() < stop:
            try:
                seen: Workshop = repository.get(ws.id, deepcopy_from_cache=copy)
                sum(1 for _ in seen.employments.values())
            except Exception as e:  # noqa: BLE001 - collected for the assertion
                errors.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read, args=(i % 2 == 0,))
                                                  for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_readers_never_see_a_cached_aggregate_change_under_them(services: Services, county_code: str) -> None:
    assert _hammer(services.app.repository, services, county_code) == []
