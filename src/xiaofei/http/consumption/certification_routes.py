"""Certification and registration: sellers, products, reference prices, buyers and their reserved-share filings."""

from __future__ import annotations

from litestar import Controller


class CountyCertificationRoutes(Controller):
    """Mixed into the county's consumption controller."""


class OrganisationSellerRoutes(Controller):
    """Mixed into the organisation's consumption controller."""
