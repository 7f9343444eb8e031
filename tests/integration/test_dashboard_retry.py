"""A county an upstream projection halted, once retried, is recomputed on the dashboard at once.

Given a county whose consumption partition halts at an order (the projection is made to fail on it, as a bug
would) while the dashboard goes on past it, when the cause is gone and the operator retries the county, then the
dashboard shows the order's sale without any new event in the log (a retry changes upstream rows silently)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest

from tests.consumption_given import given_buyer, given_certified_product, given_certified_seller, given_received_order
from tests.integration.test_projections import wait_caught_up
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.orders import Order
from xiaofei.projectors.consumption import ConsumptionProjection


def _sales(services: Services, county: str) -> int | None:
    with services.params.connect() as conn:
        row = conn.execute("SELECT sum(sales_fen) FROM rm_dashboard.area_months WHERE county = %s"
                           " AND area_level = 'county'", (county,)).fetchone()
    return row[0]


def test_a_retried_county_is_recomputed_at_once(services: Services, county_code: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, price_fen=10_000)
    unit = given_buyer(services, county_code)
    original = ConsumptionProjection.apply

    def failing(self: ConsumptionProjection, cur: Any, events: Any) -> None:
        if any(isinstance(e, Order.Event) and getattr(e, "county", None) == county_code for e in events):
            raise ValueError("a bug meeting this order (for the test)")
        original(self, cur, events)

    monkeypatch.setattr(ConsumptionProjection, "apply", failing)
    given_received_order(services, unit, tea, quantity=3, received_on=date(2025, 3, 10))
    deadline = time.monotonic() + 30
    with services.params.connect(autocommit=True) as conn:
        while not conn.execute("SELECT 1 FROM rm_consumption.halted_partitions WHERE county = %s",
                               (county_code,)).fetchone():
            assert time.monotonic() < deadline, "the order did not halt its county"
            time.sleep(0.05)
    wait_caught_up(services, "dashboard")
    assert not _sales(services, county_code)  # the order is parked upstream: nothing to count yet

    monkeypatch.undo()  # the cause is fixed
    projector = services.projector("consumption")
    try:
        applied, error = projector.retry_partition(county_code)
    finally:
        projector.close()
    assert error is None and applied >= 1
    assert _sales(services, county_code) == 30_000
