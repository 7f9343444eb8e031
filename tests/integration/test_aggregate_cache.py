"""Concurrent readers and writers of one aggregate never see it change under them (issue 7 §4: "dictionary
changed size during iteration" in 3 of 800 concurrent writes to one payroll)."""

from __future__ import annotations

import threading
import time
from datetime import date
from uuid import uuid4

from eventsourcing.application import Repository

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


def test_get_many_fast_forwards_what_the_cache_holds_and_builds_the_rest(services: Services,
                                                                         county_code: str) -> None:
    from tests.consumption_given import given_certified_product, given_certified_seller
    from xiaofei.domain.consumption.certification import Certification

    seller = given_certified_seller(services, county_code)
    product = given_certified_product(services, seller)
    missing = uuid4()
    first = services.app.get_many([product.certification_id, product.product_id, missing])
    assert set(first) == {product.certification_id, product.product_id}
    cert = services.app.repository.get(product.certification_id)
    assert isinstance(cert, Certification)
    cert.suspend(date.today(), date.today(), "抽检", "test")
    services.app.record(cert)  # written behind the cache's back
    again = services.app.get_many([product.certification_id])[product.certification_id]
    assert isinstance(again, Certification) and again.status == "suspended" and again.version == cert.version
    assert first[product.certification_id].status == "certified"  # a copy handed out earlier never changes
