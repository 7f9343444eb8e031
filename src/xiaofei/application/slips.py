"""Wage-slip uploads (JSON, CSV, XLSX) parsed into checked rows; every problem names its row and field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from xiaofei.application.cells import account_cell, id_number_cell, parse_day, parse_month, parse_whole, parse_yuan
from xiaofei.application.tables import CONTROL_CHARACTERS, accepted_labels, csv_rows, header_map, xlsx_rows
from xiaofei.domain.codes import normalise_id_number
from xiaofei.domain.employment import PAYMENT_METHODS
from xiaofei.domain.bounds import day_problem, fen_problem, month_problem
from xiaofei.domain.errors import FieldProblem, InvalidInput

MAX_ROWS = 5000
COLUMNS: dict[str, tuple[str, ...]] = {
    "workshop_id": ("workshop_id", "车间编号"),
    "month": ("month", "月份"),
    "id_number": ("id_number", "身份证号"),
    "gross_yuan": ("gross_yuan", "应发工资"),
    "net_yuan": ("net_yuan", "实发工资"),
    "days_worked": ("days_worked", "出勤天数"),
    "pieces": ("pieces", "计件数"),
    "pay_date": ("pay_date", "发放日期"),
    "method": ("method", "发放方式"),
    "bank_ref": ("bank_ref", "银行流水号"),
    "payee_account": ("payee_account", "收款账号"),
    "correction_reason": ("correction_reason", "更正原因"),
}
REQUIRED = ("workshop_id", "month", "id_number", "gross_yuan", "days_worked", "pay_date", "method")
_METHOD = {**{k: k for k in PAYMENT_METHODS}, **{v: k for k, v in PAYMENT_METHODS.items()}, "银行": "bank"}


@dataclass(frozen=True)
class SlipRow:
    row: int
    workshop_id: UUID
    month: str
    id_number: str
    gross_fen: int
    net_fen: int
    days_worked: int
    pieces: int | None
    pay_date: date
    method: str
    bank_ref: str
    payee_account: str
    correction_reason: str


class JsonSlip(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One slip in a JSON upload. Amounts in fen."""

    workshop_id: str
    month: str
    id_number: str
    gross_fen: int
    days_worked: int
    pay_date: str
    method: str
    net_fen: int | None = None
    pieces: int | None = None
    bank_ref: str = ""
    payee_account: str = ""
    correction_reason: str = ""


class JsonUpload(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    slips: list[JsonSlip]


def yuan_to_fen(text: str) -> int:
    """``600`` / ``600.5`` / ``1,234.50`` / ``１２３`` → fen; more than two decimals or a non-number raises ValueError."""
    return parse_yuan(text)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def fail(self, row: int, field: str, reason: str) -> None:
        self.problems.append(FieldProblem(field, reason, row))

    def row(self, row: int, cells: dict[str, Any], from_table: bool) -> SlipRow | None:
        """``from_table``: a CSV or XLSX row (amounts in 元, the date, month and number forms spreadsheets write);
        else a JSON slip (fen, ``YYYY-MM`` and ``YYYY-MM-DD`` as the API documents them)."""
        before = len(self.problems)
        for field, value in cells.items():
            if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
                self.fail(row, field, "must not contain control characters")
        if len(self.problems) > before:
            return None
        try:
            workshop = UUID(str(cells.get("workshop_id", "")).strip())
        except ValueError:
            self.fail(row, "workshop_id", "is not a workshop id (UUID)")
            workshop = UUID(int=0)
        month = str(cells.get("month", ""))
        if from_table:
            try:
                month = parse_month(month)
            except ValueError as e:
                self.fail(row, "month", str(e))
        if len(self.problems) == before and (problem := month_problem("month", month, row)) is not None:
            self.problems.append(problem)
        id_number = ""
        try:
            id_number = (id_number_cell(cells.get("id_number", "")) if from_table
                         else normalise_id_number(str(cells.get("id_number", ""))))
        except ValueError as e:
            self.fail(row, "id_number", str(e))
        except InvalidInput as e:
            self.fail(row, "id_number", e.problems[0].reason)
        gross = self._amount(row, "gross", cells, from_table, required=True)
        net = self._amount(row, "net", cells, from_table, required=False)
        days = self._int(row, "days_worked", cells.get("days_worked"), 0, 31, required=True)
        pieces = self._int(row, "pieces", cells.get("pieces"), 0, 10_000_000, required=False)
        pay_date = date.min
        try:
            pay_date = (parse_day(cells.get("pay_date", "")) if from_table
                        else date.fromisoformat(str(cells.get("pay_date", ""))))
        except ValueError as e:
            self.fail(row, "pay_date", str(e) if from_table else "must be a real date YYYY-MM-DD")
        else:
            if (problem := day_problem("pay_date", pay_date, row)) is not None:
                self.problems.append(problem)
        method = _METHOD.get(str(cells.get("method", "")).strip())
        if method is None:
            self.fail(row, "method", f"{str(cells.get('method', '')).strip()!r} is not one of "
                                     f"{accepted_labels(PAYMENT_METHODS)} or 银行")
        bank_ref = str(cells.get("bank_ref") or "").strip()
        if method == "bank" and not bank_ref:
            self.fail(row, "bank_ref", "is required when wages are paid through the bank")
        payee_account = str(cells.get("payee_account") or "").strip()
        if from_table:
            try:
                payee_account = account_cell(cells.get("payee_account") or "")
            except ValueError as e:
                self.fail(row, "payee_account", str(e))
        if gross is not None and net is not None and net > gross:
            self.fail(row, "net", "net pay cannot exceed gross pay")
        if len(self.problems) > before:
            return None
        assert gross is not None and days is not None and method is not None
        return SlipRow(row, workshop, month, id_number, gross, gross if net is None else net, days, pieces, pay_date,
                       method, bank_ref, payee_account, str(cells.get("correction_reason") or "").strip())

    def _amount(self, row: int, base: str, cells: dict[str, Any], in_yuan: bool, required: bool) -> int | None:
        field = f"{base}_yuan" if in_yuan else f"{base}_fen"
        raw = cells.get(field)
        if raw is None or raw == "":
            if required:
                self.fail(row, field, "is required")
            return None
        try:
            value = parse_yuan(raw) if in_yuan else int(raw)
        except (TypeError, ValueError) as e:
            self.fail(row, field, str(e) if in_yuan else "is not an amount in fen")
            return None
        if value < 0:
            self.fail(row, field, "must not be negative")
            return None
        if (problem := fen_problem(field, value, row)) is not None:
            self.problems.append(problem)
            return None
        return value

    def _int(self, row: int, field: str, raw: Any, low: int, high: int, required: bool) -> int | None:
        if raw is None or raw == "":
            if required:
                self.fail(row, field, "is required")
            return None
        try:
            value = parse_whole(raw)
        except ValueError:
            self.fail(row, field, f"{str(raw).strip()!r} is not a whole number")
            return None
        if not low <= value <= high:
            self.fail(row, field, f"must be between {low} and {high}")
            return None
        return value


def _finish(checker: _Checker, rows: list[SlipRow], count: int) -> list[SlipRow]:
    if count == 0:
        checker.problems.append(FieldProblem("file", "has no slips"))
    if count > MAX_ROWS:
        raise InvalidInput(FieldProblem("file", f"has {count} slips; at most {MAX_ROWS} per request"))
    seen: dict[tuple[UUID, str, str], int] = {}
    for r in rows:
        key = (r.workshop_id, r.month, r.id_number)
        if key in seen:
            checker.fail(r.row, "id_number", f"the same worker and month already appear in row {seen[key]}")
        else:
            seen[key] = r.row
    if checker.problems:
        raise InvalidInput(sorted(checker.problems, key=lambda p: (p.row or 0, p.field)))
    return rows


def parse_json(content: bytes) -> list[SlipRow]:
    try:
        upload = msgspec.json.decode(content, type=JsonUpload)
    except msgspec.ValidationError as e:
        raise InvalidInput(FieldProblem(str(e).rpartition("`$.")[2].rstrip("`") or "body", str(e))) from None
    except msgspec.DecodeError as e:
        raise InvalidInput(FieldProblem("body", f"is not valid JSON: {e}")) from None
    checker = _Checker()
    rows = [r for i, s in enumerate(upload.slips, start=1)
            if (r := checker.row(i, msgspec.structs.asdict(s), from_table=False)) is not None]
    return _finish(checker, rows, len(upload.slips))


def parse_table(content: bytes, xlsx: bool) -> list[SlipRow]:
    # a workbook may hold blank lines between the slips, not more rows than twice the slips an upload can carry
    rows_iter = xlsx_rows(content, max_rows=2 * MAX_ROWS + 1) if xlsx else csv_rows(content)
    header: list[str] | None = None
    cols: dict[str, int] = {}
    checker = _Checker()
    rows: list[SlipRow] = []
    count = 0
    for number, cells in rows_iter:
        if header is None:
            header = cells
            cols = header_map(header, COLUMNS, REQUIRED)
            continue
        if not any(cells):
            continue
        count += 1
        if count > MAX_ROWS:
            break
        named = {col: (cells[i] if i < len(cells) else "") for col, i in cols.items()}
        if (r := checker.row(number, named, from_table=True)) is not None:
            rows.append(r)
    if header is None:
        raise InvalidInput(FieldProblem("file", "is empty"))
    return _finish(checker, rows, count)
