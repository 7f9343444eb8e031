from __future__ import annotations

import pytest

from xiaofei.domain.codes import id_check_digit, mask_id_number, normalise_id_number, sex_from_id
from xiaofei.domain.errors import InvalidInput


def test_check_digit_matches_the_gb11643_worked_example() -> None:
    # The standard's own example number: 11010519491231002X.
    assert id_check_digit("11010519491231002") == "X"
    assert normalise_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(("raw", "reason"), [
    ("1101051949123100", "must be 18 characters"),
    ("11010519491231002Y", "17 digits followed by a digit or X"),
    ("110105194913310021", "not a real date"),
    ("110105194912310021", "check digit is 1, expected X"),
])
def test_refuses_malformed_id_numbers_saying_why(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as err:
        normalise_id_number(raw)
    assert reason in err.value.problems[0].reason
    assert err.value.problems[0].field == "id_number"


def test_masks_all_but_region_and_last_four() -> None:
    assert mask_id_number("421081198001011234") == "4210**********1234"


def test_sex_comes_from_the_17th_digit() -> None:
    assert sex_from_id("11010519491231002X") == "F"
    assert sex_from_id("110105194912310012") == "M"
