"""Values in uploaded tables as spreadsheets really write them: dates and months in the forms Chinese spreadsheets
show (``2024/6/28``, ``2024年6月28日``, ``2024年7月``, a month cell that became a date), amounts with thousands
separators, full-width digits (``１２３``), and ID or account numbers that a spreadsheet stored as numbers.

Each parser raises ``ValueError`` whose text is the reason to show beside the row and field."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from xiaofei.domain.codes import normalise_id_number
from xiaofei.domain.errors import InvalidInput


class NumberCell(str):
    """The text of a workbook cell that held a number, not text: a spreadsheet keeps 15 significant digits of a
    number, so an 18-digit ID number or a 19-digit account stored that way has lost its last digits."""


def normalised(value: object) -> str:
    """Full-width digits, letters and punctuation (``１２３``, ``，``, ``．``, ``／``) as their ASCII forms, trimmed."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return NumberCell(text) if isinstance(value, NumberCell) else text


_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DAY_FORMS = (
    re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}$"),
    re.compile(rf"^(\d{{4}})/(\d{{1,2}})/(\d{{1,2}}){_TIME}$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$"),
)
_MONTH_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$"),
)
DAY_FORMS_TEXT = "YYYY-MM-DD, YYYY/M/D or YYYY年M月D日"
MONTH_FORMS_TEXT = "YYYY-MM, YYYY/M or YYYY年M月"


def parse_day(value: object) -> date:
    """A day: ``2024-06-28``, ``2024-6-28``, ``2024/6/28``, ``2024年6月28日`` (a workbook date cell arrives as
    ``2024-06-28``; a time of day after it is ignored)."""
    text = normalised(value)
    for form in _DAY_FORMS:
        if m := form.match(text):
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                raise ValueError(f"{text!r} is not a real date") from None
    raise ValueError(f"{text!r} is not a date: write {DAY_FORMS_TEXT}")


def parse_month(value: object) -> str:
    """A month as ``YYYY-MM``: from ``2024-07``, ``2024-7``, ``2024/7``, ``2024年7月``, or a date on the first of
    the month, which is what a spreadsheet stores when it turns a typed ``2024-07`` into a date cell (shown
    ``2024-07``, read ``2024-07-01``). A date on another day is refused: it is a day, not a month."""
    text = normalised(value)
    for form in _MONTH_FORMS:
        if m := form.match(text):
            year, month = int(m[1]), int(m[2])
            if not 1 <= month <= 12:
                raise ValueError(f"{text!r} is not a month: write {MONTH_FORMS_TEXT}")
            return f"{year:04d}-{month:02d}"
    try:
        day = parse_day(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a month: write {MONTH_FORMS_TEXT}") from None
    if day.day != 1:
        raise ValueError(f"{text!r} is a day, not a month: write {day:%Y-%m}")
    return f"{day:%Y-%m}"


_PLAIN_AMOUNT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED_AMOUNT = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def parse_yuan(value: object) -> int:
    """An amount in 元 as fen: ``600``, ``600.5``, ``1,234.50``, ``１２３``; more than two decimals, separators in the
    wrong places (``1,23``) or anything else is refused."""
    text = normalised(value).replace(" ", "")
    if _GROUPED_AMOUNT.match(text):
        text = text.replace(",", "")
    elif not _PLAIN_AMOUNT.match(text):
        raise ValueError(f"{normalised(value)!r} is not an amount in 元 (like 1234.50 or 1,234.50)")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount in 元") from None
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"{text!r} has more than two decimals (元 with at most 分)")
    return int(amount * 100)


def parse_whole(value: object) -> int:
    """A whole number (days, pieces), full-width digits allowed; a workbook's ``22.0`` is 22."""
    text = normalised(value)
    if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
        return int(text.split(".")[0])
    raise ValueError(f"{text!r} is not a whole number")


_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")
LOST_DIGITS = ("this column was stored as a number and lost digits: format it as text (设置单元格格式 → 文本) and "
               "enter the numbers again")


def lost_digits(value: object) -> bool:
    """True when a cell shows that a spreadsheet stored a long number as a number: a workbook number cell, or the
    scientific notation (``4.21081E+17``) a spreadsheet writes for one when it saves CSV."""
    return isinstance(value, NumberCell) or bool(_SCIENTIFIC.match(normalised(value)))


def id_number_cell(value: object, field: str = "id_number") -> str:
    """An ID number from a table cell: full-width digits and ``Ｘ`` are read as such; a number-stored column is
    explained as one rather than as a wrong check digit."""
    text = normalised(value)
    try:
        return normalise_id_number(text, field)
    except InvalidInput as e:
        reason = e.problems[0].reason
        if lost_digits(value):
            raise ValueError(LOST_DIGITS) from None
        if re.fullmatch(r"\d{15}000", text) and "check digit" in reason:
            raise ValueError(f"{reason}; it ends in 000, as when a spreadsheet stored the column as a number and "
                             "lost digits: format it as text and enter the numbers again") from None
        raise ValueError(reason) from None


def account_cell(value: object) -> str:
    """A bank account number from a table cell (optional): a number-stored column has lost digits."""
    text = normalised(value)
    if text and lost_digits(value) and (len(text.replace(".", "")) > 15 or "e" in text.lower()):
        raise ValueError(LOST_DIGITS)
    return text
