"""The income attribution rules: costs half-up per line, per capita half-up, flags against the lines."""

from __future__ import annotations

from decimal import Decimal

from xiaofei.rules import income
from xiaofei.rules.parameters import CATALOGUE


def test_the_worked_example_per_capita_is_half_up_to_the_fen() -> None:
    gross = 12 * 60_000 + 12 * 12_000 + 500_000 + 30_000 + 200_000
    cost = income.operating_cost(500_000, Decimal("0.40"))
    assert (gross, cost) == (1_594_000, 200_000)
    assert income.per_capita(gross - cost, 3) == 464_667
    assert income.flags(464_667, None, 870_000, False) == ["below_monitoring_threshold"]


def test_costs_round_half_up_per_line_and_a_category_deducts_its_cost_class() -> None:
    assert income.operating_cost(33_333, Decimal("0.15")) == 5_000  # 4,999.95
    assert income.cost_parameter("grain_oil") == "income.cost_ratio.grain"
    assert income.cost_parameter("fruit") == income.cost_parameter("forest_products") == "income.cost_ratio.forest_fruit"
    assert income.cost_parameter("tea") == "income.cost_ratio.other_crops"
    assert income.cost_parameter("tobacco") == "income.cost_ratio.tobacco"
    assert income.cost_parameter("sugar_cane") == income.cost_parameter(None) == "income.cost_ratio.other_crops"
    # a former produce code, in a row projected before the one vocabulary, costs what its category costs
    assert income.cost_parameter("grain") == "income.cost_ratio.grain"
    assert income.cost_parameter("forest_fruit") == "income.cost_ratio.forest_fruit"
    assert {f"income.cost_ratio.{p}" for p in ("grain", "tobacco", "livestock", "forest_fruit", "other_crops")} \
        <= set(CATALOGUE)


def test_no_members_no_per_capita_and_no_line_no_flag() -> None:
    assert income.per_capita(100, 0) is None
    assert income.flags(None, 400_000, 870_000, False) == []
    assert income.flags(870_000, 400_000, 870_000, False) == []  # at the threshold is not below it
    assert income.per_capita(-5, 2) == -3  # half away from zero


def test_sudden_drop_needs_earlier_income_and_the_full_drop() -> None:
    pct = Decimal("0.30")
    assert income.sudden_drop(70_000, 100_000, pct)
    assert not income.sudden_drop(70_001, 100_000, pct)
    assert not income.sudden_drop(0, 0, pct)


def test_declared_types_keep_their_class() -> None:
    assert income.declared_category("migrant_wages") == "wage"
    assert income.declared_category("dibao") == "transfer"
    assert income.declared_category("rent_dividends") == "property"
