"""An XLSX export, streamed: the OOXML package written with ``zipfile`` into a sink that is emptied after every
batch of rows, so neither the sheet nor the file is ever held whole.

The sheet XML is generated row by row; text is written as inline strings (``t="inlineStr"``: no shared-strings
table, which would have to hold every distinct text until the end) and never as a formula, so ``=1+1`` is the text
``=1+1``. Amounts are numbers formatted ``#,##0.00`` (元), dates date serials formatted ``yyyy-mm-dd``, rates numbers
formatted ``0.00%``. The zip is written to an unseekable sink, so each member carries a data descriptor (sizes and
CRC after the data), which Excel, LibreOffice, WPS and openpyxl read. One sheet, at most Excel's 1,048,576 rows.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from datetime import date
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from xiaofei.exports.columns import Column, as_date, as_rate, as_text, yuan

BATCH_ROWS = 500
MAX_ROWS = 1_048_576
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = date(1899, 12, 30)
# cellXfs below: 0 default, 1 header (bold, text), 2 text (@), 3 yuan, 4 whole number, 5 date, 6 rate
_STYLE = {"text": 2, "yuan": 3, "int": 4, "date": 5, "rate": 6}
_WIDTH = {"text": 22, "yuan": 16, "int": 10, "date": 12, "rate": 10}

CONTENT_TYPES = _HEAD + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '</Types>')
ROOT_RELS = _HEAD + (
    f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK_RELS = _HEAD + (
    f'<Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
STYLES = _HEAD + (
    f'<styleSheet xmlns="{_NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="7">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')


def _workbook(sheet: str) -> str:
    return _HEAD + (f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
                    f'<sheet name={quoteattr(sheet_name(sheet))} sheetId="1" r:id="rId1"/></sheets></workbook>')


def sheet_name(name: str) -> str:
    """A name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet1"


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(ref: str, style: int, value: str) -> str:
    clean = escape(_NOT_XML.sub("\ufffd", value))
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{clean}</t></is></c>'


def _cell(ref: str, column: Column, value: Any) -> str:
    if value is None or value == "":
        return ""
    style = _STYLE[column.kind]
    if column.kind == "yuan":
        number = yuan(value)
    elif column.kind == "int":
        number = str(int(value))
    elif column.kind == "date":
        day = as_date(value)
        number = str((day - _EPOCH).days) if day else ""
    elif column.kind == "rate":
        number = str(as_rate(value))
    else:
        return _text(ref, style, as_text(value))
    return f'<c r="{ref}" s="{style}"><v>{number}</v></c>'


def _row(number: int, letters: list[str], columns: Sequence[Column], row: Mapping[str, Any]) -> str:
    cells = "".join(_cell(f"{letters[i]}{number}", c, row[c.key]) for i, c in enumerate(columns))
    return f'<row r="{number}">{cells}</row>'


def _sheet_head(columns: Sequence[Column], letters: list[str]) -> str:
    widths = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{max(_WIDTH[c.kind], len(c.header) + 2)}" '
                     'customWidth="1"/>' for i, c in enumerate(columns))
    header = "".join(_text(f"{letters[i]}1", 1, c.header) for i, c in enumerate(columns))
    return _HEAD + (f'<worksheet xmlns="{_NS}"><sheetViews><sheetView workbookViewId="0">'
                    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView>'
                    f'</sheetViews><cols>{widths}</cols><sheetData><row r="1">{header}</row>')


class _Sink:
    """What the zip writes into: emptied by the caller after every batch (no ``tell``/``seek``: zipfile then
    writes data descriptors and never goes back)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


async def xlsx_stream(columns: Sequence[Column], rows: AsyncIterable[Mapping[str, Any]],
                      sheet: str = "Sheet1") -> AsyncIterator[bytes]:
    sink = _Sink()
    letters = [column_letters(i) for i in range(len(columns))]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as book:  # type: ignore[arg-type]
        for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                           ("xl/workbook.xml", _workbook(sheet)), ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                           ("xl/styles.xml", STYLES)):
            book.writestr(name, text)
        yield sink.drain()
        with book.open("xl/worksheets/sheet1.xml", "w") as part:
            part.write(_sheet_head(columns, letters).encode("utf-8"))
            number, batch = 1, []
            async for row in rows:
                number += 1
                if number > MAX_ROWS:
                    raise ValueError(f"more than {MAX_ROWS - 1} rows: an XLSX sheet holds no more (export CSV)")
                batch.append(_row(number, letters, columns, row))
                if len(batch) >= BATCH_ROWS:
                    part.write("".join(batch).encode("utf-8"))
                    batch.clear()
                    data = sink.drain()
                    if data:
                        yield data
            part.write(("".join(batch) + "</sheetData></worksheet>").encode("utf-8"))
    yield sink.drain()
