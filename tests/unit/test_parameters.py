from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from xiaofei.domain.errors import InvalidInput
from xiaofei.rules.parameters import (
    CATALOGUE,
    PRESETS,
    ParameterDef,
    ParameterVersion,
    all_in_force,
    builtin_defaults,
    in_force,
    parse_value,
    scope_chain,
)


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


@pytest.mark.parametrize(("preset", "name", "value"),
                         [(p.name, n, v) for p in PRESETS.values() for n, v in p.values.items()])
def test_every_preset_value_is_catalogued_and_within_its_bounds(preset: str, name: str, value: str) -> None:
    assert name in CATALOGUE
    parse_value(name, value)  # raises InvalidInput when out of bounds


@pytest.mark.parametrize("definition", list(CATALOGUE.values()), ids=lambda d: d.name)
def test_every_numeric_parameter_has_bounds_and_its_default_satisfies_them(definition: ParameterDef) -> None:
    if definition.kind != "categories":
        assert definition.minimum is not None and definition.maximum is not None and definition.bounds_reason
    parse_value(definition.name, definition.default)


def test_optional_parameters_can_be_switched_off() -> None:
    assert parse_value("subsidy.worker_wage_cap_fen", "") is None
    assert parse_value("subsidy.worker_wage_cap_fen", "15000") == 15000


# -- precedence within one scope ----------------------------------------------------------------------------------

def test_within_a_scope_the_latest_effective_from_wins_not_the_last_recorded() -> None:
    # Given A (effective 2024-06-01) recorded first, then B (effective 2024-01-01) recorded later, in one county
    a = v(RATE, "0.30", "360724", "2024-06-01", seq=1)
    b = v(RATE, "0.25", "360724", "2024-01-01", seq=2)
    # Then on 2024-07-01 A is in force (it starts later), on 2024-03-01 only B has started
    assert in_force([a, b], RATE, "360724", date(2024, 7, 1)).value == "0.30"
    assert in_force([a, b], RATE, "360724", date(2024, 3, 1)).value == "0.25"
    assert all_in_force([a, b], "360724", date(2024, 7, 1))[RATE].value == "0.30"
    assert all_in_force([a, b], "360724", date(2024, 3, 1))[RATE].value == "0.25"


def test_on_equal_effective_from_the_later_record_wins() -> None:
    first = v(RATE, "0.30", "360724", "2024-06-01", seq=1)
    second = v(RATE, "0.25", "360724", "2024-06-01", seq=2)
    for order in ([first, second], [second, first]):
        assert in_force(order, RATE, "360724", date(2024, 7, 1)).value == "0.25"
        assert all_in_force(order, "360724", date(2024, 7, 1))[RATE].value == "0.25"


def test_an_ended_version_gives_way_to_the_one_it_interrupted() -> None:
    versions = [v(RATE, "0.30", "360724", "2024-06-01", "2024-08-31", seq=1),
                v(RATE, "0.25", "360724", "2024-01-01", seq=2)]
    assert in_force(versions, RATE, "360724", date(2024, 8, 31)).value == "0.30"
    assert in_force(versions, RATE, "360724", date(2024, 9, 1)).value == "0.25"


def test_a_more_specific_scope_wins_even_when_a_wider_one_starts_later() -> None:
    versions = [v(RATE, "0.25", "360724", "2020-01-01"), v(RATE, "0.10", "360700", "2024-01-01"),
                v(RATE, "0.15", "360000", "2024-06-01"), v(RATE, "0.05", "national", "2024-07-01")]
    assert in_force(versions, RATE, "360724", date(2024, 7, 1)).value == "0.25"
    assert in_force(versions, RATE, "360725", date(2024, 7, 1)).value == "0.10"
    assert in_force(versions, RATE, "360725", date(2023, 7, 1)).value == "0.20"  # built-in default
    assert in_force(versions, RATE, "420100", date(2024, 7, 1)).value == "0.05"


def test_a_stored_version_outside_todays_bounds_is_never_in_force() -> None:
    # A rate of 20 recorded before the catalogue had bounds: the lookup passes over it, so projections go on.
    versions = [v(RATE, "0.25", "360724", "2024-01-01", seq=1), v(RATE, "20", "360724", "2024-06-01", seq=2)]
    assert in_force(versions, RATE, "360724", date(2024, 7, 1)).value == "0.25"
    assert all_in_force(versions, "360724", date(2024, 7, 1))[RATE].typed() == Decimal("0.25")
    assert in_force(versions[1:], RATE, "360724", date(2024, 7, 1)).source.startswith("built-in default")


# -- bounds --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "text"), [
    (RATE, "20"), (RATE, "1.01"), ("subsidy.employer_match_ratio", "2"), ("subsidy.rent_ratio", "1.5"),
    ("workshop.min_poor_share", "-0.2"), ("workshop.min_employment_months", "13"),
    ("workshop.min_employment_months", "0"),
    ("workshop.min_poor_workers", "0"), ("subsidy.worker_min_days", "32"), ("worker.min_age", "14"),
    ("worker.max_age_male", "71"), ("claim.notice_days", "0"), ("claim.notice_days", "61"),
    ("subsidy.hiring_award_fen", "-1"), ("subsidy.training_fen", "100000000"), ("bank.match_window_days", "32"),
])
def test_values_outside_the_catalogue_bounds_are_refused_naming_value_and_the_bounds(name: str, text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_value(name, text)
    [problem] = refused.value.problems
    assert problem.field == "value" and "between" in problem.reason and name in problem.reason


@pytest.mark.parametrize(("name", "text"), [
    (RATE, "0"), (RATE, "1"), ("workshop.min_employment_months", "12"), ("subsidy.worker_min_days", "31"),
    ("worker.min_age", "16"), ("worker.max_age_female", "70"), ("claim.notice_days", "60"),
    ("subsidy.hiring_award_fen", "0"),
])
def test_values_on_the_bounds_are_accepted(name: str, text: str) -> None:
    parse_value(name, text)


# -- sources name real documents -------------------------------------------------------------------------------------

def _sources() -> list[tuple[str, str]]:
    return ([(f"catalogue {d.name}", d.default_source) for d in CATALOGUE.values()]
            + [(f"built-in {d.name}", d.source) for d in builtin_defaults()]
            + [(f"preset {p.name}", p.source) for p in PRESETS.values()]
            + [(f"preset {p.name} title", p.title) for p in PRESETS.values()])


@pytest.mark.parametrize(("where", "source"), _sources())
def test_every_source_names_a_document_not_the_spec_or_a_seed_file(where: str, source: str) -> None:
    assert source.strip(), where
    for meaningless in ("DOMAIN", "§", "seed"):
        assert meaningless not in source, f"{where}: {source}"
