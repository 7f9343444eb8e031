"""Every projection the service runs, by name (a derived one, the dashboard, after those it reads)."""

from __future__ import annotations

from xiaofei.projectors.access import AccessProjection
from xiaofei.projectors.base import BatchProjection
from xiaofei.projectors.consumption import ConsumptionProjection
from xiaofei.projectors.dashboard import DashboardProjection
from xiaofei.projectors.employment import EmploymentProjection
from xiaofei.projectors.income import IncomeProjection
from xiaofei.projectors.policy import PolicyProjection
from xiaofei.projectors.registry import RegistryProjection

PROJECTIONS: dict[str, type[BatchProjection]] = {
    p.name: p for p in (AccessProjection, RegistryProjection, PolicyProjection, EmploymentProjection,
                               ConsumptionProjection, IncomeProjection, DashboardProjection)
}
