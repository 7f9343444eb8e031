"""Reads of the consumption projection: sales, reserved-share progress, linkage obligations, flags, catalogue."""

from __future__ import annotations

from litestar import Controller


class CountyConsumptionReads(Controller):
    """Mixed into the county's consumption controller."""


class OrganisationConsumptionReads(Controller):
    """Mixed into the organisation's consumption controller."""


class CatalogueController(Controller):
    path = "/catalogue"
    tags = ["consumption"]
