"""The consumption read model (see projections/consumption/README.md).

``projection`` dispatches events; ``facts`` writes the facts and notes what they reach; ``derive`` recomputes it:
which sales count, the revenue-share pools and their split, the integrity flags.
"""

from xiaofei.projectors.consumption.projection import ConsumptionProjection

__all__ = ["ConsumptionProjection"]
