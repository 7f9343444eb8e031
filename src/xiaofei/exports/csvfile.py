"""A CSV export, streamed: UTF-8 with a BOM (Excel in a Chinese locale then opens it as UTF-8), one bilingual
header row, CRLF lines; text cells formula-neutralised (a leading ``'`` before ``=``, ``+``, ``-``, ``@``, tab, CR:
OWASP "CSV injection"), amounts written as numbers (a negative amount stays ``-12.50``, never ``'-12.50``)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from typing import Any

from xiaofei.application.tables import CsvLine, safe_cell
from xiaofei.exports.columns import Column, as_date, as_rate, as_text, yuan

BATCH_ROWS = 500
"""Rows per chunk handed to the server: small enough to keep memory flat, large enough not to be chatty."""


def cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == "yuan":
        return yuan(value)
    if column.kind == "int":
        return str(int(value))
    if column.kind == "date":
        return as_text(as_date(value))
    if column.kind == "rate":
        return str(as_rate(value))
    return safe_cell(as_text(value))


async def csv_stream(columns: Sequence[Column], rows: AsyncIterable[Mapping[str, Any]]) -> AsyncIterator[bytes]:
    line = CsvLine()
    yield ("\ufeff" + line([safe_cell(c.header) for c in columns])).encode("utf-8")
    batch: list[str] = []
    async for row in rows:
        batch.append(line([cell(c, row[c.key]) for c in columns]))
        if len(batch) >= BATCH_ROWS:
            yield "".join(batch).encode("utf-8")
            batch.clear()
    if batch:
        yield "".join(batch).encode("utf-8")
