"""Every CSV the service writes goes through one writer that neutralises formulas (issue 7 §6)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from xiaofei.application.tables import csv_lines, safe_cell

SRC = Path(__file__).resolve().parents[2] / "src" / "xiaofei"


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+86 138", "'+86 138"),
    ("-1+1", "'-1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("王芳", "王芳"),
    ("a=b", "a=b"),
    (-1200, "-1200"),
    (12.5, "12.5"),
    (None, ""),
    (True, "true"),
])
def test_a_cell_that_begins_like_a_formula_is_written_as_text(value: object, written: str) -> None:
    assert safe_cell(value) == written


def test_csv_lines_stream_a_bom_then_one_line_per_row_every_cell_made_safe() -> None:
    def rows():  # a generator: nothing is collected before the first line goes out
        yield ["=cmd|' /C calc'!A0", -5]
        yield ["李强", 600]

    lines = csv_lines(["姓名 name", "金额 amount"], rows())
    first = next(lines)
    assert first.startswith("\ufeff")
    text = first + "".join(lines)
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed == [["姓名 name", "金额 amount"], ["'=cmd|' /C calc'!A0", "-5"], ["李强", "600"]]


def test_no_other_module_writes_csv_or_a_workbook() -> None:
    writers = re.compile(r"csv\.writer|csv\.DictWriter|Workbook\(|write_only=True")
    for path in SRC.rglob("*.py"):
        if path.name in ("tables.py", "templates.py") and path.parent.name == "application":
            continue  # templates.py: the wage-slip template workbook, its text cells through tables.safe_cell
        assert not writers.search(path.read_text(encoding="utf-8")), f"{path} writes a table: use tables.csv_lines"
