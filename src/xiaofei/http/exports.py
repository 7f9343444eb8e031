"""Streamed exports (导出) of the read tables: CSV or XLSX of every row a JSON list read would page through.

The scheme, one for every table: the export of a list read ``R`` is ``R/export`` with R's own filters (no
``after``/``limit``: all rows) and ``format=csv|xlsx``, the same roles and the same county guard. A table declares
its columns once (an ``ExportTable``) and its rows as an async iterator (``xiaofei.queries.streaming.rows`` over its
SQL: a cursor read in chunks); ``stream`` answers with them. The handler checks freshness (``_fresh``) before the
first byte, so a lagging or halted read model is still a 503 problem; an error after the first byte can only cut
the download short (the client sees a truncated file, never a complete-looking wrong one).

    @get("/dashboard/townships/export", operation_id="exportDashboardTownships", opt=exports.opt(*READERS),
         media_type=exports.CSV, summary=..., description=... + exports.HOW,
         responses=exports.responses("The township table"))
    async def townships_export(self, request, county, year, file_format: exports.FileFormat = "csv",
                               min_position: MinPosition = None) -> Stream:
        pool = await _fresh(request, min_position, "dashboard", primary=True)  # streamed
        return exports.stream(TOWNSHIPS, file_format, f"{county}-{year}", dq.township_rows(pool, county, year))
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote

from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Stream

from xiaofei.application.tables import CSV_TYPES, XLSX_TYPES
from xiaofei.http.auth import roles
from xiaofei.exports import Column, csv_stream, xlsx_stream

Format = Literal["csv", "xlsx"]
FileFormat = Annotated[Format, QueryParameter(
    name="format", description="`csv` (UTF-8 with BOM, one bilingual header row) or `xlsx` (one sheet)")]
CSV = CSV_TYPES[0]
XLSX = XLSX_TYPES[0]
MEDIA = {"csv": CSV, "xlsx": XLSX}  # text/* gets "; charset=utf-8" from the server
EXPORT = "export"
"""Route opt marking an export: ``openapi.complete`` documents both media types of its 200."""
HOW = (" Every row, streamed (bounded memory, any length), read from one consistent snapshot. Headers are "
       "bilingual (`中文 / English`, one row); amounts are 元 with two decimals (numbers in XLSX, formatted "
       "#,##0.00); text that begins like a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'` in CSV and is "
       "a plain text cell in XLSX. The file name comes in Content-Disposition (RFC 6266, `filename*` in UTF-8).")


class Download(Stream):
    """A stream whose own media type wins over the handler's (Litestar's ``Stream`` prefers the handler's, and an
    export's handler documents CSV while it answers XLSX when asked)."""

    def to_asgi_response(self, *args: Any, media_type: Any = None, **kwargs: Any) -> Any:
        return super().to_asgi_response(*args, media_type=self.media_type, **kwargs)


@dataclass(frozen=True)
class ExportTable:
    name: str
    """ASCII file-name stem (``household-incomes``)."""
    title: str
    """中文 name: the sheet's name and the UTF-8 file name's stem (``收入监测户``)."""
    columns: Sequence[Column]


def content_disposition(stem_ascii: str, stem_utf8: str, extension: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and ``filename*`` (RFC 5987) for the Chinese one."""
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in stem_ascii)
    return (f'attachment; filename="{ascii_name}.{extension}"; '
            f"filename*=UTF-8''{quote(f'{stem_utf8}.{extension}', safe='')}")


def stream(table: ExportTable, file_format: Format, suffix: str,
           rows: AsyncIterable[Mapping[str, Any]]) -> Stream:
    """The export as a streamed response, named ``<name>-<suffix>.<format>`` (and ``<title>-<suffix>`` in UTF-8)."""
    body = xlsx_stream(table.columns, rows, table.title) if file_format == "xlsx" else csv_stream(table.columns, rows)
    disposition = content_disposition(f"{table.name}-{suffix}", f"{table.title}-{suffix}", file_format)
    return Download(body, media_type=MEDIA[file_format],
                  headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})


def opt(*allowed: str) -> dict[str, Any]:
    """An export route's ``opt``: its roles, and the mark that documents both media types."""
    return {**roles(*allowed), EXPORT: True}


def responses(description: str) -> dict[int, ResponseSpec]:
    return {200: ResponseSpec(data_container=bytes, media_type=CSV, generate_examples=False,
                              description=description + ": CSV or XLSX, as `format` asks")}


__all__ = ["CSV", "EXPORT", "XLSX", "ExportTable", "FileFormat", "Format", "HOW", "content_disposition", "opt",
           "responses", "stream"]
