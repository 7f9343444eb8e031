"""Bounding an uploaded XLSX workbook before openpyxl parses any of it (issue 7 §4, issue 23 point 3).

openpyxl parses some parts whole even in read-only mode: the content types, the workbook and its relationships,
the shared strings, the styles, and — to find each sheet's dimensions — every sheet the workbook lists, wherever its
relationships put it (``xl/sheets/s1.xml`` as well as ``xl/worksheets/sheet1.xml``). A 133 KB workbook of 15 million
``<row/>`` in a sheet at an unusual path cost 32 s and 1.25 GB. So, before it does:

- the package's declared unpacked size is bounded (``zipfile`` reads no further than a member's declared size);
- the parts that say where the sheets are (``[Content_Types].xml``, the workbook part and its relationships) are
  bounded in size, then resolved with openpyxl's own functions, so the sheets checked are the sheets it will read;
- the rows of every such sheet, and the XML elements of every part, are counted by scanning the unpacked bytes
  (streamed, C speed, no parsing), stopping once past the bound.

Every refusal is the uploader's: an ``InvalidInput`` naming ``file`` and the reason (422).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable

from xiaofei.domain.errors import FieldProblem, InvalidInput

MAX_XLSX_UNCOMPRESSED = 100_000_000
"""Bytes an XLSX may unpack to: a 300 KB file holding one 300 MB shared string is refused before it is parsed."""
MAX_STRUCTURE_PART = 1_000_000
"""Bytes each part that locates the sheets may unpack to (they are parsed whole to find the sheets)."""
ELEMENTS_PER_ROW = 64
"""XML elements a row may bring on average, with its cells, values and shared strings (a 13-column slip written
by Excel or WPS brings about 40)."""
FIXED_ELEMENTS = 200_000
"""XML elements allowed beside the rows' (styles, theme, properties: a few thousand in what Excel writes)."""
MAX_ELEMENTS = 5_000_000
"""XML elements of any workbook: 100,000 channel sales of nine columns bring about 3 million."""

_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_CHUNK = 1 << 20
_OVERLAP = 64


def _refuse(reason: str) -> InvalidInput:
    return InvalidInput(FieldProblem("file", reason))


def _scan(z: zipfile.ZipFile, name: str, pattern: re.Pattern[bytes] | None, limit: int) -> tuple[int, int]:
    """(row tags when ``pattern`` is given, else 0; elements) of one part, scanned as a stream; stops once either
    count passes ``limit``. An element is an opening ``<`` that is not a closing tag, a comment or a declaration."""
    rows = elements = 0
    tail = b""
    with z.open(name) as stream:
        while chunk := stream.read(_CHUNK):
            data = tail + chunk
            # a tag cut by the chunk boundary is counted in the next round (the last bytes come again)
            cut = max(len(data) - _OVERLAP, 0)
            head = data[:cut]
            elements += head.count(b"<") - head.count(b"</") - head.count(b"<?") - head.count(b"<!")
            if pattern is not None:
                rows += len(pattern.findall(data, 0, cut))
            tail = data[cut:]
            if rows > limit or elements > limit:
                return rows, elements
    elements += tail.count(b"<") - tail.count(b"</") - tail.count(b"<?") - tail.count(b"<!")
    if pattern is not None:
        rows += len(pattern.findall(tail))
    return rows, elements


def sheet_parts(z: zipfile.ZipFile) -> list[str]:
    """The parts openpyxl will read as sheets: the workbook part named by the content types, its ``sheet``
    elements, each resolved through the workbook's relationships (``xl/_rels/workbook.xml.rels`` for the usual
    ``xl/workbook.xml``), as openpyxl itself resolves them."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.packaging.relationship import get_rels_path
    from openpyxl.reader.excel import _find_workbook_part
    from openpyxl.reader.workbook import WorkbookParser
    from openpyxl.xml.functions import fromstring

    sizes = {info.filename: info.file_size for info in z.infolist()}

    def bounded(name: str) -> str:
        if name not in sizes:
            raise _refuse(f"is not a readable XLSX workbook: it has no part {name}")
        if sizes[name] > MAX_STRUCTURE_PART:
            raise _refuse(f"part {name} unpacks to {sizes[name]} bytes, more than {MAX_STRUCTURE_PART}")
        return name

    manifest = Manifest.from_tree(fromstring(z.read(bounded("[Content_Types].xml"))))
    workbook = bounded(_find_workbook_part(manifest).PartName[1:])
    parser = WorkbookParser(z, workbook, keep_links=False)
    rels = get_rels_path(workbook)
    if rels in sizes:
        bounded(rels)
    parser.parse()
    return [rel.target for _, rel in parser.find_sheets() if rel.target in sizes]


def check_workbook(z: zipfile.ZipFile, max_rows: int) -> None:
    """Refuse (422 naming ``file``) a workbook that unpacks to too much, whose sheets hold more than ``max_rows``
    rows together, or whose parts hold more XML elements than that many rows could bring."""
    infos = z.infolist()
    unpacked = sum(i.file_size for i in infos)
    if unpacked > MAX_XLSX_UNCOMPRESSED:
        raise _refuse(f"unpacks to {unpacked} bytes, more than {MAX_XLSX_UNCOMPRESSED}")
    sheets = set(sheet_parts(z))
    element_budget = min(max_rows * ELEMENTS_PER_ROW + FIXED_ELEMENTS, MAX_ELEMENTS)
    rows = elements = 0
    ordered: Iterable[zipfile.ZipInfo] = sorted(infos, key=lambda i: i.filename not in sheets)  # sheets first
    for info in ordered:
        if info.is_dir():
            continue
        is_sheet = info.filename in sheets
        part_rows, part_elements = _scan(z, info.filename, _ROW_TAG if is_sheet else None,
                                         max(max_rows - rows, element_budget - elements))
        rows += part_rows
        elements += part_elements
        if rows > max_rows:
            raise _refuse(f"has more than {max_rows} rows")
        if elements > element_budget:
            raise _refuse(f"holds more than {element_budget} XML elements, more than {max_rows} rows of a "
                          f"table could bring")
