"""Streamed table exports (导出): CSV and XLSX written row by row from an async iterator of rows, so a table of any
length is written in bounded memory. Pure: no web framework, no database (``xiaofei.queries.streaming`` reads the
rows, ``xiaofei.http.exports`` answers with them)."""

from xiaofei.exports.columns import Column, Kind, yuan
from xiaofei.exports.csvfile import csv_stream
from xiaofei.exports.xlsx import xlsx_stream

__all__ = ["Column", "Kind", "csv_stream", "xlsx_stream", "yuan"]
