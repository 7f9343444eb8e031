from __future__ import annotations

from datetime import date

import pytest

from xiaofei.domain.errors import InvalidInput, NotFound
from xiaofei.domain.registry import Household, Member


def member(number: str, relation: str, id_hash: str) -> Member:
    return Member(person_number=number, name="某", id_hash=id_hash, id_masked="x", id_sealed="s", sex="M",
                  birth_date=date(1980, 1, 1), relation=relation, labour_capacity="normal")


def household() -> Household:
    return Household(county="360724", household_number="1", village_code="360724100001", category="exited",
                     subtype=None, causes=["illness"], members=[member("a", "head", "1"), member("b", "spouse", "2")],
                     effective_date=date(2016, 1, 1), source="api", actor="t")


def test_registration_needs_exactly_one_head() -> None:
    with pytest.raises(InvalidInput, match="exactly one head"):
        Household.check_registration("poor", None, [], [member("a", "spouse", "1")])


def test_a_monitored_household_needs_a_subtype() -> None:
    with pytest.raises(InvalidInput) as err:
        Household.check_registration("monitored", None, [], [member("a", "head", "1")])
    assert err.value.problems[0].field == "subtype"


def test_the_head_cannot_be_removed() -> None:
    with pytest.raises(InvalidInput, match="head"):
        household().remove_member("a", date(2020, 1, 1), "moved", "t")


def test_removing_an_unknown_member_is_not_found() -> None:
    with pytest.raises(NotFound):
        household().remove_member("zz", date(2020, 1, 1), "moved", "t")


def test_category_change_keeps_history_and_refuses_going_back_in_time() -> None:
    h = household()
    h.change_category("monitored", "edge_at_risk", date(2022, 5, 1), "identified", "", "t")
    assert h.category_history[-1][:3] == (date(2022, 5, 1), "monitored", "edge_at_risk")
    with pytest.raises(InvalidInput) as err:
        h.change_category("exited", None, date(2021, 1, 1), "risk_cleared", "", "t")
    assert err.value.problems[0].field == "effective_date"


def test_a_later_income_declaration_supersedes_the_earlier_one() -> None:
    h = household()
    h.declare_other_income(2024, "dibao", 100, "", "t")
    h.declare_other_income(2024, "dibao", 250, "re-verified", "t")
    assert h.other_income[(2024, "dibao")] == 250
