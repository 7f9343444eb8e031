"""Downloadable wage-slip templates (工资表模板): the upload's columns with bilingual headers, and in the XLSX the
ID-number and account columns formatted as **text** (number format ``@``) so a typed or pasted 18-digit number
keeps every digit. The one module besides ``tables`` that writes a table; every text cell goes through
``tables.safe_cell`` (a workshop name cannot become a formula)."""

from __future__ import annotations

import io
from collections.abc import Iterator

from xiaofei.application.slips import COLUMNS, REQUIRED
from xiaofei.application.tables import csv_lines, safe_cell
from xiaofei.domain.employment import PAYMENT_METHODS

TEXT_COLUMNS = ("workshop_id", "id_number", "bank_ref", "payee_account", "correction_reason")
"""Columns typed as text in the XLSX: identifiers whose digits must all survive."""

_NOTES = {
    "workshop_id": "车间编号: see the workshops below",
    "month": "YYYY-MM (2024-07), YYYY/M, YYYY年M月",
    "id_number": "18 位身份证号, 文本格式 (text)",
    "gross_yuan": "元, 1,234.50",
    "net_yuan": "元; empty = gross",
    "days_worked": "0-31",
    "pieces": "whole number",
    "pay_date": "YYYY-MM-DD, YYYY/M/D, YYYY年M月D日",
    "method": " / ".join(f"{zh} ({code})" for code, zh in PAYMENT_METHODS.items()),
    "bank_ref": "required when paid by bank",
    "payee_account": "文本格式 (text)",
    "correction_reason": "only when correcting a slip already reported",
}


def headers() -> list[str]:
    """``车间编号 workshop_id``…: the Chinese header and the English code, which the upload accepts together."""
    return [f"{aliases[1]} {name}" for name, aliases in COLUMNS.items()]


def template_csv() -> Iterator[str]:
    """The CSV template: the header row only (a CSV cannot say that a column is text: prefer the XLSX)."""
    return csv_lines(headers(), [])


def template_xlsx(workshops: list[tuple[str, str]]) -> bytes:
    """The XLSX template: sheet 工资表 with the header row and the text columns formatted ``@``; sheet 说明 with every column (required or not, how to write it) and the organisation's
    workshops (id, name) to copy from."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "工资表"
    sheet.append([safe_cell(h) for h in headers()])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, name in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 24 if name in TEXT_COLUMNS else 14
        if name in TEXT_COLUMNS:
            # the column's own format: every cell typed or pasted into it later is text
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"

    notes = book.create_sheet("说明")
    notes.append(["column 列", "required 必填", "how to write it 填写说明"])
    for name, aliases in COLUMNS.items():
        notes.append([safe_cell(f"{aliases[1]} {name}"), "yes 是" if name in REQUIRED else "no 否",
                      safe_cell(_NOTES.get(name, ""))])
    notes.append([])
    notes.append(["workshop_id 车间编号", "workshop 车间", ""])
    for workshop_id, name in workshops:
        notes.append([safe_cell(workshop_id), safe_cell(name), ""])
    for letter, width in (("A", 40), ("B", 24), ("C", 48)):
        notes.column_dimensions[letter].width = width

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
