"""The household income projection (rm_income)."""

from xiaofei.projectors.income.projection import IncomeProjection

__all__ = ["IncomeProjection"]
