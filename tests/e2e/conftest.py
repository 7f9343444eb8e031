"""End-to-end fixtures: each test starts with the claims service on the real clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from xiaofei.bootstrap import Services
from xiaofei.domain.clock import utc_now


@pytest.fixture(autouse=True)
def real_clock(services: Services) -> Iterator[None]:
    """``days_pass`` moves the claims service's clock forward for one test; put it back afterwards."""
    yield
    services.claims.clock = utc_now
