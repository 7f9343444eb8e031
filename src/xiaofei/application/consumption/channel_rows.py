"""Reading a channel-sales upload (渠道销售) — CSV (UTF-8 or GB18030), XLSX or JSON — into checked rows, every bad
cell named with its row and field; the rules that need the records (certificates, budget units) come after, in
``channel``. The table helpers are the employment importer's (``tables``, ``cells``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec

from xiaofei.application.cells import DAY_FORMS_TEXT, normalised, parse_day, parse_whole
from xiaofei.application.tables import CONTROL_CHARACTERS, MAX_CELL_CHARS, csv_rows, header_map, xlsx_rows
from xiaofei.domain.bounds import count_problem, day_problem, fen_problem
from xiaofei.domain.consumption.buyers import BUYER_TYPES
from xiaofei.domain.consumption.channel import CHANNELS
from xiaofei.domain.consumption.orders import TAGS
from xiaofei.domain.errors import FieldProblem, InvalidInput

MAX_ROWS = 100_000
"""Rows one upload may carry: a bigger file is refused whole (split it by month or channel)."""
MAX_ERRORS = 1_000
"""Row errors listed in one answer (the detail says how many there were in all)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "sold_on": ("sold_on", "date", "销售日期", "日期"),
    "certificate_number": ("certificate_number", "产品认定证书编号", "认定证书编号", "证书编号"),
    "quantity": ("quantity", "数量"),
    "amount_fen": ("amount_fen", "amount", "金额(分)", "金额（分）", "金额分"),
    "channel": ("channel", "渠道"),
    "reference": ("reference", "channel_reference", "渠道订单号", "订单号"),
    "buyer_type": ("buyer_type", "购买方类型"),
    "budget_unit": ("budget_unit", "预算单位"),
    "tag": ("tag", "帮扶标签"),
}
REQUIRED = ("sold_on", "certificate_number", "quantity", "amount_fen", "channel", "reference", "buyer_type")


@dataclass(frozen=True)
class SaleRow:
    row: int
    """The spreadsheet row (header = 1), or the position in the JSON ``sales`` array (first = 1)."""
    sold_on: date
    certificate_number: str
    quantity: int
    amount_fen: int
    channel: str
    reference: str
    buyer_type: str
    budget_unit: str | None
    tag: str | None


def _coded(table: dict[str, str], value: str, field: str) -> str:
    if value in table:
        return value
    for code, label in table.items():
        if value == label:
            return code
    raise ValueError("must be one of " + ", ".join(f"{code} ({label})" for code, label in table.items()))


def _text(value: str, longest: int) -> str:
    if not value:
        raise ValueError("is required")
    if len(value) > longest:
        raise ValueError(f"longer than {longest} characters")
    return value


def _bounded(value: object, rule: Any) -> int:
    number = parse_whole(value)
    if (problem := rule("", number, minimum=1)) is not None:
        raise ValueError(problem.reason)
    return number


def _day(value: object, today: date) -> date:
    day = parse_day(value)
    problem = day_problem("sold_on", day)
    if problem is not None:
        raise ValueError(problem.reason)
    if day > today:
        raise ValueError(f"{day.isoformat()} is after today ({today.isoformat()}, Asia/Shanghai)")
    return day


_CHECKS: dict[str, Any] = {
    "sold_on": None,  # needs today
    "certificate_number": lambda v: _text(v, 64),
    "quantity": lambda v: _bounded(v, count_problem),
    "amount_fen": lambda v: _bounded(v, fen_problem),
    "channel": lambda v: _coded(CHANNELS, v, "channel"),
    "reference": lambda v: _text(v, 100),
    "buyer_type": lambda v: _coded(BUYER_TYPES, v, "buyer_type"),
    "budget_unit": lambda v: _text(v, 32) if v else None,
    "tag": lambda v: _coded(TAGS, v, "tag") if v else None,
}


@dataclass(frozen=True)
class Parsed:
    """The rows that read well, and the problems of those that did not (reported with the record checks of the
    good ones, so that one answer lists every row error)."""

    rows: list[SaleRow]
    problems: list[FieldProblem]

    @property
    def count(self) -> int:
        return len(self.rows) + len({p.row for p in self.problems})


class _Rows:
    def __init__(self, today: date) -> None:
        self.today = today
        self.problems: list[FieldProblem] = []
        self.rows: list[SaleRow] = []
        self.count = 0

    def add(self, number: int, named: dict[str, object], reported: frozenset[str] = frozenset()) -> None:
        self.count += 1
        if self.count > MAX_ROWS:
            raise InvalidInput(FieldProblem("file", f"has more than {MAX_ROWS} sales: split it (by month or "
                                                    "channel) into uploads of at most that many", number))
        values: dict[str, Any] = {}
        bad = bool(reported)
        for field, check in _CHECKS.items():
            if field in reported:
                continue
            raw = named.get(field)
            text = "" if raw is None else normalised(raw) if isinstance(raw, str) else raw
            try:
                if field == "sold_on":
                    if text == "":
                        raise ValueError(f"is required ({DAY_FORMS_TEXT})")
                    values[field] = _day(text, self.today)
                elif field in ("quantity", "amount_fen"):
                    if text == "" or isinstance(text, bool):
                        raise ValueError("is required: a whole number")
                    values[field] = check(text)
                else:
                    if not isinstance(text, str):
                        raise ValueError("must be text")
                    values[field] = check(text)
            except ValueError as e:
                bad = True
                self.problems.append(FieldProblem(field, str(e), number))
        if not bad:
            self.rows.append(SaleRow(row=number, **values))

    def finish(self) -> Parsed:
        if self.count == 0:
            raise InvalidInput(FieldProblem("file", "holds no sales"))
        return Parsed(self.rows, self.problems)


def raise_problems(problems: list[FieldProblem]) -> None:
    """Every row error at once (the first ``MAX_ERRORS`` of them listed), or nothing."""
    if problems:
        problems = sorted(problems, key=lambda p: p.row or 0)
        shown = problems[:MAX_ERRORS]
        more = f" ({len(problems)} errors in all; the first {MAX_ERRORS} are listed)" if len(problems) > MAX_ERRORS else ""
        first = shown[0]
        raise InvalidInput(shown, f"row {first.row}: {first.field}: {first.reason}{more}" if len(problems) == 1
                           else f"{len(problems)} row errors, nothing recorded; row {first.row}: {first.field}: "
                                f"{first.reason}{more}")


def parse_table(content: bytes, xlsx: bool, today: date) -> Parsed:
    rows_iter = xlsx_rows(content, max_rows=2 * MAX_ROWS + 1) if xlsx else csv_rows(content)
    header: list[str] | None = None
    cols: dict[str, int] = {}
    checked = _Rows(today)
    for number, cells in rows_iter:
        if header is None:
            header = cells
            cols = header_map(header, COLUMNS, REQUIRED)
            continue
        if not any(cells):
            continue
        checked.add(number, {col: (cells[i] if i < len(cells) else "") for col, i in cols.items()})
    if header is None:
        raise InvalidInput(FieldProblem("file", "is empty"))
    return checked.finish()


class _JsonUpload(msgspec.Struct, forbid_unknown_fields=True):
    sales: list[dict[str, str | int | None]]


def parse_json(content: bytes, today: date) -> Parsed:
    """``{"sales": [{"sold_on": "2026-05-11", "certificate_number": …, "quantity": 3, "amount_fen": 10500, …}]}``"""
    try:
        upload = msgspec.json.decode(content, type=_JsonUpload)
    except msgspec.ValidationError as e:
        raise InvalidInput(FieldProblem(str(e).rpartition("`$.")[2].rstrip("`") or "body", str(e))) from None
    except msgspec.DecodeError as e:
        raise InvalidInput(FieldProblem("body", f"is not valid JSON: {e}")) from None
    checked = _Rows(today)
    for number, sale in enumerate(upload.sales, start=1):
        reported: set[str] = set()
        for field, value in sale.items():
            reason = None
            if field not in COLUMNS:
                reason = "unknown field"
            elif isinstance(value, str) and (CONTROL_CHARACTERS.search(value) or len(value) > MAX_CELL_CHARS):
                reason = f"must not contain control characters nor be longer than {MAX_CELL_CHARS} characters"
            elif field in ("quantity", "amount_fen") and isinstance(value, str):
                reason = "must be a JSON whole number"
            if reason is not None:
                checked.problems.append(FieldProblem(field, reason, number))
                reported.add(field)
        checked.add(number, {f: sale.get(f) for f in COLUMNS}, frozenset(reported))
    return checked.finish()
