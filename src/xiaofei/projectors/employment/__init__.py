"""The employment read model and the entitlements computed from it (see projections/employment/README.md).

``projection`` dispatches events; ``facts`` writes the raw facts, ``claims`` the claims; ``lookups`` reads what the
rules need; ``recompute`` turns changed facts into entitlement rows; ``flags`` keeps the integrity flags.
"""

from xiaofei.projectors.employment.projection import EmploymentProjection
from xiaofei.projectors.employment.recompute import recompute_entitlements

__all__ = ["EmploymentProjection", "recompute_entitlements"]
