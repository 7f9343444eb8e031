"""Exports (导出) through real HTTP: the flagged-household list as CSV and XLSX with bilingual headers, 元 with two
decimals, formula-neutralised text, the read's roles; and a 100,000-row export streamed in bounded memory.

Rows a command cannot make (a household number beginning with ``=``, a negative net income, 100,000 households)
are written straight into the projection's table for the test and removed afterwards (the last test of the suite
rebuilds every projection and compares it with the live rows)."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote

import httpx
import openpyxl

from tests.conftest import bearer, official_token
from tests.e2e.test_income_api import _worked_example
from tests.integration.test_projections import wait_caught_up
from xiaofei.bootstrap import Services
from xiaofei.projectors.catalog import PROJECTIONS

HEADER = ["户编号 / Household number", "行政村代码 / Village code", "行政村 / Village name", "人口 / Members",
          "总收入（元） / Gross income (yuan)",
          "生产经营性支出（元） / Operating costs (yuan)", "纯收入（元） / Net income (yuan)",
          "人均纯收入（元） / Per-capita net income (yuan)", "贫困线（元） / Poverty line (yuan)",
          "监测线（元） / Monitoring threshold (yuan)", "监测标识 / Flags"]
HOSTILE = '=HYPERLINK("http://evil.example/","点击")'


DERIVED = ("household_flag_counts", "income_years")
"""The dashboard's tables that sum rm_income.household_years: they must never see the rows written here."""


def _dashboard_rows(services: Services, county: object) -> list[tuple[object, ...]]:
    with services.params.connect() as conn:
        return [row for table in DERIVED for row in conn.execute(
            f"SELECT '{table}', * FROM rm_dashboard.{table} WHERE county = %s ORDER BY 1, 2, 3, 4, 5",
            (county,)).fetchall()]


@contextmanager
def rows_in_projection(services: Services, sql: str, *args: object) -> Iterator[None]:
    """Rows written into rm_income.household_years for one test (``sql`` inserts them), deleted afterwards.

    The dashboard projection sums that table whenever an event of the county arrives: every projection is first
    at the head of the log, the test writes nothing while the rows are there, and the dashboard's rows of the
    county are the same afterwards (else a rebuild at the end of the suite would differ from them)."""
    county = args[0]
    for name in PROJECTIONS:
        wait_caught_up(services, name, timeout=60)
    before = _dashboard_rows(services, county)
    with services.params.connect() as conn:
        conn.execute(sql, args)
    try:
        yield
    finally:
        with services.params.connect() as conn:
            conn.execute("DELETE FROM rm_income.household_years WHERE county = %s AND household_number NOT LIKE %s",
                         (county, f"{county}H%"))
        assert _dashboard_rows(services, county) == before, "the dashboard summed rows written for the test"


INSERT_ONE = ("INSERT INTO rm_income.household_years (county, household_number, year, village_code, wage_fen,"
              " operating_fen, operating_cost_fen, property_fen, transfer_fen, gross_fen, net_fen, members,"
              " per_capita_net_fen, poverty_line_fen, threshold_fen, recent_fen, earlier_fen, flags)"
              " VALUES (%s, %s, 2025, %s, 0, 1000, 13345, 0, 0, 1000, -12345, 2, -6173, NULL, 870000, 0, 0,"
              " ARRAY['below_poverty_line', 'below_monitoring_threshold'])")


async def test_the_flagged_household_list_exports_as_csv_and_xlsx(http: httpx.AsyncClient, services: Services,
                                                                  county_code: str) -> None:
    number, official = await _worked_example(http, services, county_code)
    path = f"/counties/{county_code}/household-incomes/export"
    params = {"year": 2025, "flag": "below_monitoring_threshold", "min_position": services.app.head_position()}
    with rows_in_projection(services, INSERT_ONE, county_code, HOSTILE, "+1-530102"):
        r = await http.get(path, headers=official, params=params)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        disposition = r.headers["content-disposition"]
        assert f'filename="household-incomes-{county_code}-2025-below_monitoring_threshold.csv"' in disposition
        assert unquote(disposition.partition("filename*=UTF-8''")[2]) == (
            f"收入监测-{county_code}-2025-below_monitoring_threshold.csv")
        assert r.content.startswith("\ufeff".encode())
        table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert table[0] == HEADER
        rows = {row[0]: row for row in table[1:]}
        assert rows[number] == [number, f"{county_code}100001", "", "3", "15940.00", "2000.00", "13940.00", "4646.67",
                                "", "8700.00", "低于监测线 below_monitoring_threshold"]
        assert rows["'" + HOSTILE] == ["'" + HOSTILE, "'+1-530102", "", "2", "10.00", "133.45", "-123.45", "-61.73", "",
                                       "8700.00", "低于贫困线 below_poverty_line, 低于监测线 below_monitoring_threshold"]
        listed = await http.get(f"/counties/{county_code}/household-incomes", headers=official, params=params)
        assert [h["household_number"] for h in listed.json()["items"]] == [row[0].lstrip("'") for row in table[1:]]

        x = await http.get(path, headers=official, params={**params, "format": "xlsx"})
        assert x.status_code == 200, x.text
        assert x.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert 'filename="household-incomes-' in x.headers["content-disposition"]
        sheet = openpyxl.load_workbook(io.BytesIO(x.content), read_only=True).active
        cells = list(sheet.iter_rows(values_only=True))
        assert list(cells[0]) == HEADER
        by_number = {row[0]: row for row in cells[1:]}
        assert by_number[number] == (number, f"{county_code}100001", None, 3, 15940.0, 2000.0, 13940.0, 4646.67, None,
                                     8700.0, "低于监测线 below_monitoring_threshold")
        assert by_number[HOSTILE][:8] == (HOSTILE, "+1-530102", None, 2, 10.0, 133.45, -123.45, -61.73)
        assert len(cells) == len(table)
    workbook = openpyxl.load_workbook(io.BytesIO(x.content))
    hostile = next(row for row in workbook.active.iter_rows(min_row=2) if row[0].value == HOSTILE)
    assert hostile[0].data_type == "s" and hostile[1].data_type == "s"  # text, never a formula
    assert hostile[6].number_format == "#,##0.00"


async def test_exports_answer_to_the_reads_roles_and_name_bad_fields(http: httpx.AsyncClient, services: Services,
                                                                    county_code: str) -> None:
    path = f"/counties/{county_code}/household-incomes/export"
    auditor = bearer(services.access.issue("auditor", [county_code], None, "auditor", "test").secret)
    r = await http.get(path, headers=auditor, params={"year": 2025, "format": "xlsx"})
    assert r.status_code == 200, r.text
    assert [tuple(row) for row in openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True)] \
        == [tuple(HEADER)]
    other = bearer(official_token(services, "360799"))
    assert (await http.get(path, headers=other, params={"year": 2025})).status_code == 403
    assert (await http.get(path, params={"year": 2025})).status_code == 401
    official = bearer(official_token(services, county_code))
    for params, field in (({"year": 2025, "format": "pdf"}, "format"), ({}, "year"),
                          ({"year": 2025, "flag": "rich"}, "flag")):
        r = await http.get(path, headers=official, params=params)
        assert 400 <= r.status_code < 500 and field in r.text, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


INSERT_MANY = ("INSERT INTO rm_income.household_years (county, household_number, year, village_code, wage_fen,"
               " operating_fen, operating_cost_fen, property_fen, transfer_fen, gross_fen, net_fen, members,"
               " per_capita_net_fen, poverty_line_fen, threshold_fen, recent_fen, earlier_fen, flags)"
               " SELECT %s, 'X' || lpad(n::text, 9, '0'), 2024, %s || lpad((n %% 200)::text, 3, '0'), n, 0, 0, 0, 0,"
               " n * 101, n * 97 - 5000000, 1 + n %% 6, (n * 97 - 5000000) / (1 + n %% 6), 400000, 870000, 0, 0,"
               " ARRAY['below_monitoring_threshold'] FROM generate_series(1, %s) AS n")
ROWS = 100_000


async def _streamed(http: httpx.AsyncClient, path: str, headers: dict[str, str], params: dict[str, object]
                    ) -> tuple[int, int, bytes, bytes, float]:
    """(bytes received, peak of traced memory while streaming them, the first chunk, the last 400 bytes, seconds)."""
    size, first, last = 0, b"", b""
    started = time.perf_counter()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        async with http.stream("GET", path, headers=headers, params=params) as r:
            assert r.status_code == 200
            async for chunk in r.aiter_raw():
                first = first or chunk
                last = (last + chunk)[-400:]
                size += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return size, peak, first, last, time.perf_counter() - started


async def test_a_100000_row_export_streams_in_bounded_memory(http: httpx.AsyncClient, services: Services,
                                                             county_code: str) -> None:
    """The server runs in this process (uvicorn in a thread): tracemalloc sees every allocation it makes while it
    reads, writes and sends the rows. A non-streaming export would hold the whole file at least (and the rows)."""
    official = bearer(official_token(services, county_code))
    path = f"/counties/{county_code}/household-incomes/export"
    with rows_in_projection(services, INSERT_MANY, county_code, f"{county_code}100", ROWS):
        csv_size, csv_peak, head, tail, csv_s = await _streamed(http, path, official, {"year": 2024})
        xlsx_size, xlsx_peak, _, xlsx_tail, xlsx_s = await _streamed(http, path, official,
                                                                     {"year": 2024, "format": "xlsx"})
        held = _peak_of_holding_the_rows(services, county_code)
    print(f"\n100,000-row export (under tracemalloc): CSV {csv_size / 1e6:.1f} MB in {csv_s:.1f} s, peak "
          f"{csv_peak / 1e6:.2f} MB traced; XLSX {xlsx_size / 1e6:.1f} MB in {xlsx_s:.1f} s, peak "
          f"{xlsx_peak / 1e6:.2f} MB traced")
    assert head.startswith("\ufeff户编号".encode()) and b"\r\nX000100000," in tail
    assert xlsx_tail[-22:-18] == b"PK\x05\x06"  # the zip's end record: the workbook is complete
    print(f"holding the 100,000 rows at once (what a fetch-then-write export does first) traces {held / 1e6:.1f} MB")
    assert csv_size > 10_000_000 and xlsx_size > 4_000_000
    # bounded: under 5 MB, less than half the CSV file itself and a fraction of the rows held at once
    assert csv_peak < 5_000_000 < csv_size / 2, csv_peak
    assert xlsx_peak < 5_000_000 < held / 4, (xlsx_peak, held)


def _peak_of_holding_the_rows(services: Services, county: str) -> int:
    tracemalloc.start()
    try:
        with services.params.connect() as conn:
            rows = conn.execute("SELECT * FROM rm_income.household_years WHERE county = %s ORDER BY household_number",
                                (county,)).fetchall()
            assert len(rows) == ROWS
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_the_dashboard_tables_export_what_their_reads_answer(http: httpx.AsyncClient, services: Services,
                                                                  county_code: str) -> None:
    from tests.e2e.test_dashboard_api import _scene

    _, official = await _scene(http, services, county_code)
    fresh = {"year": 2025, "min_position": services.app.head_position()}
    base = f"/counties/{county_code}/dashboard"
    board = (await http.get(base, headers=official, params=fresh)).json()
    r = await http.get(f"{base}/export", headers=official, params=fresh)
    assert r.status_code == 200, r.text
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["区域代码 / Area code", "月份 / Month", "认定经营主体 / Certified sellers"]
    sales = table[0].index("认定销售额（元） / Recognised sales (yuan)")
    assert [(row[1], row[sales]) for row in table[1:]] == [
        (m["month"], f"{m['sales_fen'] // 100}.{m['sales_fen'] % 100:02d}") for m in board["months"]]
    assert ("2025-03", "300.00") in [(row[1], row[sales]) for row in table[1:]]

    areas = (await http.get(f"{base}/areas", headers=official, params=fresh)).json()["items"]
    x = await http.get(f"{base}/areas/export", headers=official, params={**fresh, "format": "xlsx"})
    assert x.status_code == 200, x.text
    cells = list(openpyxl.load_workbook(io.BytesIO(x.content), read_only=True).active.iter_rows(values_only=True))
    header = list(cells[0])
    wages = header.index("工资总额（元） / Wages (yuan)")
    flagged = header.index("低于监测线户 / Households below the monitoring threshold")
    assert [(row[1], row[wages], row[flagged]) for row in cells[1:]] == [
        (a["area_code"], a["headline"]["wages_fen"] / 100, a["headline"]["households_flagged"]
         ["below_monitoring_threshold"]) for a in areas]
    assert 7200.0 in [row[wages] for row in cells[1:]]

    province = bearer(services.access.issue("province_official", [f"{county_code[:2]}0000"], None, "省", "test").secret)
    p = await http.get(f"/provinces/{county_code[:2]}0000/dashboard/export", headers=province, params=fresh)
    assert p.status_code == 200, p.text
    rows = {row[0]: row for row in csv.reader(io.StringIO(p.content.decode("utf-8-sig")))}
    assert rows[county_code][rows["县代码 / County code"].index("认定销售额（元） / Recognised sales (yuan)")] == "500.00"
    assert rows["县代码 / County code"][1] == "县名称 / County name" and rows[county_code][1] == f"测试县{county_code}"
    assert (await http.get(f"{base}/export", headers=province, params=fresh)).status_code == 200
    assert (await http.get("/provinces/990000/dashboard/export", headers=province, params=fresh)).status_code == 403
