"""Channel-sales uploads (渠道销售) and linkage payments (利益联结兑付)."""

from __future__ import annotations

from litestar import Controller


class CountyChannelRoutes(Controller):
    """Mixed into the county's consumption controller (through ``order_routes``)."""


class OrganisationChannelRoutes(Controller):
    """Mixed into the organisation's consumption controller (through ``order_routes``)."""
