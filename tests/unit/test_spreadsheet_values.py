"""Cell values as spreadsheets write them (issue 8 §4): dates, months, amounts, full-width digits, numbers that lost
digits. The files a real spreadsheet application made are in tests/e2e/test_spreadsheet_fixtures_api.py."""

from __future__ import annotations

from datetime import date

import pytest

from tests.helpers import id_number
from xiaofei.application.cells import (
    NumberCell,
    account_cell,
    id_number_cell,
    parse_day,
    parse_month,
    parse_whole,
    parse_yuan,
)


@pytest.mark.parametrize("text", ["2024-06-28", "2024-6-28", "2024/6/28", "2024/06/28", "2024年6月28日",
                                  "2024 年 6 月 28 日", "２０２４／６／２８", "2024-06-28 00:00:00"])
def test_a_day_in_the_forms_spreadsheets_write_is_that_day(text: str) -> None:
    assert parse_day(text) == date(2024, 6, 28)


@pytest.mark.parametrize(("text", "reason"), [("2024-02-30", "not a real date"), ("28/6/2024", "YYYY/M/D"),
                                              ("2024.6", "not a date"), ("", "not a date")])
def test_a_day_that_is_not_one_says_which_forms_are(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_day(text)


@pytest.mark.parametrize("text", ["2024-07", "2024-7", "2024/7", "2024年7月", "2024-07-01", "2024/7/1", "２０２４-０７"])
def test_a_month_in_the_forms_spreadsheets_write_is_that_month(text: str) -> None:
    # given a month typed as 2024-07, which a spreadsheet stores as the date cell 2024-07-01 and shows as 2024-07
    assert parse_month(text) == "2024-07"


@pytest.mark.parametrize(("text", "reason"), [("2024-07-15", "a day, not a month: write 2024-07"),
                                              ("2024-13", "not a month"), ("七月", "not a month")])
def test_a_month_that_is_not_one_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_month(text)


@pytest.mark.parametrize(("text", "fen"), [("600", 60000), ("600.5", 60050), ("1,234.50", 123450),
                                           ("12,345,678", 1234567800), ("１２３", 12300), ("１，２３４．５", 123450),
                                           (NumberCell("1234.5"), 123450)])
def test_amounts_with_thousands_separators_and_full_width_digits_are_read(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["1,23", "12,3456.00", "1.234", "六百", "", "1e3"])
def test_amounts_that_are_not_amounts_in_yuan_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_yuan(text)


def test_whole_numbers_may_be_full_width_or_a_workbooks_22_point_0() -> None:
    assert [parse_whole("２２"), parse_whole("22.0"), parse_whole(NumberCell("22"))] == [22, 22, 22]
    with pytest.raises(ValueError):
        parse_whole("22.5")


def test_an_id_number_stored_as_a_number_is_explained_as_one_not_as_a_check_digit() -> None:
    real = id_number("421081", 7)
    lost = NumberCell(real[:15] + "000")
    for cell in (lost, "4.21081E+17", "4.21081197503120E+17", NumberCell("4.2108119750312e+17")):
        with pytest.raises(ValueError, match="stored as a number and lost digits: format it as text"):
            id_number_cell(cell)


def test_an_id_number_typed_as_text_ending_in_000_hints_at_lost_digits_only_when_its_check_digit_fails() -> None:
    real = id_number("421081", 7)
    with pytest.raises(ValueError, match="check digit .* ends in 000, as when a spreadsheet stored"):
        id_number_cell(real[:15] + "000")
    assert id_number_cell("".join(chr(ord(c) + 0xFEE0) for c in real)) == real  # full-width digits


def test_an_exact_id_number_in_a_number_cell_is_accepted() -> None:
    real = next(n for n in (id_number("421081", s) for s in range(100)) if not n.endswith("X"))
    assert id_number_cell(NumberCell(real)) == real


def test_a_long_account_stored_as_a_number_lost_digits_but_a_short_one_did_not() -> None:
    with pytest.raises(ValueError, match="lost digits"):
        account_cell("6.22848E+18")
    with pytest.raises(ValueError, match="lost digits"):
        account_cell(NumberCell("6228480000000000000"))
    assert account_cell(NumberCell("12345678")) == "12345678"
    assert account_cell("6228480402564890018") == "6228480402564890018"
