"""Reading uploaded tables: CSV (UTF-8 or GB18030) and XLSX, into rows of text cells with spreadsheet row numbers."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from xiaofei.application.cells import NumberCell
from xiaofei.application.workbook import check_workbook
from xiaofei.domain.errors import FieldProblem, InvalidInput

XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)
CSV_TYPES = ("text/csv", "application/csv")


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (what Excel in a Chinese locale writes)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(FieldProblem("file", "is neither UTF-8 nor GB18030 text"))


MAX_CELL_CHARS = 2000
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def checked_cells(number: int, cells: list[str]) -> list[str]:
    """A row's cells, refused whole when one holds a control character (U+0000 cannot even be stored) or is longer
    than any real name, reference or note."""
    for i, cell in enumerate(cells, start=1):
        if CONTROL_CHARACTERS.search(cell):
            raise InvalidInput(FieldProblem(f"column {i}", "must not contain control characters", number))
        if len(cell) > MAX_CELL_CHARS:
            raise InvalidInput(FieldProblem(f"column {i}", f"longer than {MAX_CELL_CHARS} characters", number))
    return cells


def csv_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) with row 1 the header, as a spreadsheet numbers them."""
    reader = csv.reader(io.StringIO(decode_text(content)))
    try:
        for number, row in enumerate(reader, start=1):
            yield number, checked_cells(number, [c.strip() for c in row])
    except csv.Error as e:
        raise InvalidInput(FieldProblem("file", f"is not valid CSV near row {reader.line_num}: {e}")) from None


def _cell_text(value: object) -> str:
    """A workbook cell as text: a date cell as ``YYYY-MM-DD`` (a month cell a spreadsheet turned into a date reads
    ``2024-07-01``), a number cell as a ``NumberCell`` (so an ID number stored as a number can be told apart), with
    the binary noise of a computed amount (``120.00000000000001``) rounded away at nine decimals."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return NumberCell(str(value))
    if isinstance(value, float):
        rounded = round(value, 9) if abs(value) < 1e15 else value
        if rounded.is_integer():
            return NumberCell(str(int(rounded)))
        return NumberCell(format(Decimal(repr(rounded)), "f"))
    return str(value).strip()


MAX_TABLE_ROWS = 250_000


def _check_workbook(content: bytes, max_rows: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            check_workbook(z, max_rows)
    except InvalidInput:
        raise
    except Exception as e:  # a broken package or structure part, whatever the zip reader or parser raises
        raise InvalidInput(FieldProblem("file", f"is not a readable XLSX workbook: {type(e).__name__}: {e}"[:300])) \
            from None


def xlsx_rows(content: bytes, max_rows: int = MAX_TABLE_ROWS) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows as text cells (dates as YYYY-MM-DD), read as a stream once the workbook is bounded
    (``workbook.check_workbook``: unpacked size, rows of every sheet, XML elements).

    openpyxl parses the XML through defusedxml (a dependency), so entity expansion and external entities are
    refused; any XML the parser cannot read is the uploader's error (422), never a server error."""
    from openpyxl import load_workbook

    _check_workbook(content, max_rows)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception as e:  # a broken or hostile workbook, whatever the parser raises
        raise InvalidInput(FieldProblem("file", f"is not a readable XLSX workbook: {type(e).__name__}")) from None
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            except Exception as e:  # XML the (defused) parser refuses, met while streaming
                raise InvalidInput(FieldProblem("file", f"is not a readable XLSX workbook: {type(e).__name__}",
                                                number + 1)) from None
            number += 1
            if number > max_rows:
                raise InvalidInput(FieldProblem("file", f"has more than {max_rows} rows", number))
            yield number, checked_cells(number, [_cell_text(v) for v in row])
    finally:
        book.close()


def accepted_labels(table: dict[str, str]) -> str:
    """The values a coded column accepts, as the file may spell them: ``因病 (illness), 因残 (disability)``."""
    return ", ".join(f"{label} ({code})" for code, label in table.items())


_HEADER_PARTS = re.compile(r"[\s()（）/]+")


def header_map(header: list[str], columns: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> dict[str, int]:
    """Column name → index, accepting each column's aliases; unknown, duplicate or missing columns are errors."""
    lookup = {alias: col for col, aliases in columns.items() for alias in aliases}
    positions: dict[str, int] = {}
    problems: list[FieldProblem] = []
    for i, name in enumerate(header):
        if not name:
            continue
        col = lookup.get(name)
        if col is None:
            # a bilingual header, as the templates write them: 身份证号 id_number, 身份证号(id_number)
            parts = [part for part in _HEADER_PARTS.split(name) if part]
            named = {lookup.get(part) for part in parts}
            if len(parts) > 1 and len(named) == 1 and None not in named:
                col = named.pop()
        if col is None:
            problems.append(FieldProblem(name, "unknown column", 1))
        elif col in positions:
            problems.append(FieldProblem(name, "column appears twice", 1))
        else:
            positions[col] = i
    for col in required:
        if col not in positions:
            problems.append(FieldProblem(col, f"required column missing (header {' or '.join(columns[col])})", 1))
    if problems:
        raise InvalidInput(problems)
    return positions


# -- writing tables ------------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell as text a spreadsheet will not run: text that begins like a formula (``=``, ``+``, ``-``, ``@``, or
    a tab or carriage return before one) gets a leading apostrophe (OWASP "CSV injection"). Numbers are written
    as numbers, so a negative amount stays a number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class CsvLine:
    """One CSV line at a time (CRLF ends it), of cells already made safe (``safe_cell``, or a number written as
    text): what ``csv_lines`` and the streamed exports (``xiaofei.exports``) both write with."""

    def __init__(self) -> None:
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, lineterminator="\r\n")

    def __call__(self, cells: list[str]) -> str:
        self._out.seek(0)
        self._out.truncate()
        self._writer.writerow(cells)
        return self._out.getvalue()


def csv_lines(header: list[str], rows: Iterator[list[object]] | list[list[object]]) -> Iterator[str]:
    """A CSV file as a stream of lines (UTF-8 with BOM first, so Excel opens Chinese text), every text cell made
    safe: the one way the service writes CSV (a test refuses ``csv.writer`` anywhere else)."""
    line = CsvLine()
    yield "\ufeff" + line([safe_cell(h) for h in header])
    for row in rows:
        yield line([safe_cell(v) for v in row])
