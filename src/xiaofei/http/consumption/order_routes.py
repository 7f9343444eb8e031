"""Orders, channel-sales uploads and linkage payments."""

from __future__ import annotations

from litestar import Controller


class CountyOrderRoutes(Controller):
    """Mixed into the county's consumption controller."""


class OrganisationOrderRoutes(Controller):
    """Mixed into the organisation's consumption controller."""
