"""Consumption routes. Litestar adds one OPTIONS handler per controller and path, so every path has exactly one
controller: the county's and the organisation's controllers here are composed of the mixins of each concept
(certification and registration, orders and channel sales, reads)."""

from __future__ import annotations

from xiaofei.http.consumption.certification_routes import CountyCertificationRoutes, OrganisationSellerRoutes
from xiaofei.http.consumption.order_routes import CountyOrderRoutes, OrganisationOrderRoutes
from xiaofei.http.consumption.reads import CatalogueController, CountyConsumptionReads, OrganisationConsumptionReads


class CountyConsumptionController(CountyCertificationRoutes, CountyOrderRoutes, CountyConsumptionReads):
    path = "/counties/{county:str}"
    tags = ["consumption"]


class OrganisationConsumptionController(OrganisationSellerRoutes, OrganisationOrderRoutes,
                                        OrganisationConsumptionReads):
    path = "/organisations/{org:str}"
    tags = ["consumption"]


CONTROLLERS = [CountyConsumptionController, OrganisationConsumptionController, CatalogueController]
