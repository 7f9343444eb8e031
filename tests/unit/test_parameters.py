from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from xiaofei.domain.errors import InvalidInput
from xiaofei.rules.parameters import CATALOGUE, PRESETS, ParameterVersion, in_force, parse_value, scope_chain


def v(name: str, value: str, scope: str, start: str, end: str | None = None, seq: int = 1) -> ParameterVersion:
    return ParameterVersion(name, value, scope, date.fromisoformat(start), date.fromisoformat(end) if end else None,
                            "test", "campaign", seq)


RATE = "subsidy.worker_wage_rate"


def test_scope_chain_runs_from_county_to_national() -> None:
    assert scope_chain("360724") == ["360724", "360700", "360000", "national"]


def test_built_in_default_applies_when_nothing_is_recorded() -> None:
    chosen = in_force([], RATE, "360724", date(2019, 5, 1))
    assert chosen.typed() == Decimal("0.20") and chosen.scope == "national" and "built-in" in chosen.source


def test_most_specific_scope_in_force_wins() -> None:
    versions = [v(RATE, "0.10", "national", "2015-01-01"), v(RATE, "0.15", "360000", "2016-01-01"),
                v(RATE, "0.25", "360724", "2018-01-01")]
    assert in_force(versions, RATE, "360724", date(2017, 6, 1)).value == "0.15"
    assert in_force(versions, RATE, "360724", date(2018, 1, 1)).value == "0.25"
    assert in_force(versions, RATE, "360725", date(2018, 1, 1)).value == "0.15"


def test_within_a_scope_the_later_version_wins_and_end_dates_are_inclusive() -> None:
    versions = [v(RATE, "0.20", "360724", "2017-01-01", seq=1),
                v(RATE, "0.30", "360724", "2019-01-01", "2019-12-31", seq=2)]
    assert in_force(versions, RATE, "360724", date(2019, 12, 31)).value == "0.30"
    assert in_force(versions, RATE, "360724", date(2020, 1, 1)).value == "0.20"


@pytest.mark.parametrize(("name", "text"), [(RATE, "abc"), (RATE, "-0.1"), ("workshop.min_poor_workers", "1.5"),
                                            ("worker.eligible_categories", "poor,rich"), ("no.such", "1")])
def test_bad_values_are_refused(name: str, text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_value(name, text)


def test_presets_only_name_catalogued_parameters_with_valid_values() -> None:
    for preset in PRESETS.values():
        for name, value in preset.values.items():
            assert name in CATALOGUE
            parse_value(name, value)


def test_optional_parameters_can_be_switched_off() -> None:
    assert parse_value("subsidy.worker_wage_cap_fen", "") is None
    assert parse_value("subsidy.worker_wage_cap_fen", "15000") == 15000
