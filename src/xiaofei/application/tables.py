"""Reading uploaded tables: CSV (UTF-8 or GB18030) and XLSX, into rows of text cells with spreadsheet row numbers."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

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
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


MAX_XLSX_UNCOMPRESSED = 100_000_000
"""Bytes an XLSX may unpack to: a 300 KB file holding one 300 MB shared string is refused before it is parsed."""
MAX_TABLE_ROWS = 250_000


def _check_workbook(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise InvalidInput(FieldProblem("file", f"is not a readable XLSX workbook: {e}")) from None
    if unpacked > MAX_XLSX_UNCOMPRESSED:
        raise InvalidInput(FieldProblem("file", f"unpacks to {unpacked} bytes, more than {MAX_XLSX_UNCOMPRESSED}"))


def xlsx_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows as text cells (dates as YYYY-MM-DD), read as a stream.

    openpyxl parses the XML through defusedxml (a dependency), so entity expansion and external entities are
    refused; any XML the parser cannot read is the uploader's error (422), never a server error."""
    from openpyxl import load_workbook

    _check_workbook(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
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
            if number > MAX_TABLE_ROWS:
                raise InvalidInput(FieldProblem("file", f"has more than {MAX_TABLE_ROWS} rows", number))
            yield number, checked_cells(number, [_cell_text(v) for v in row])
    finally:
        book.close()


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
