"""The county dashboard projection (rm_dashboard)."""

from xiaofei.projectors.dashboard.projection import DashboardProjection

__all__ = ["DashboardProjection"]
