"""Issue 23 point 3: a small hostile workbook whose sheets live where its own relationships say (not under
``xl/worksheets/``) is refused quickly, with bounded memory, before openpyxl parses it — for wage slips and for
channel sales alike."""

from __future__ import annotations

import io
import resource
import uuid
import zipfile

import httpx
import pytest

from tests.consumption_given import given_certified_product, given_certified_seller
from tests.e2e.test_consumption_orders_api import token
from tests.e2e.test_employment_api import build_scene
from xiaofei.bootstrap import Services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def hostile_workbook(sheets: dict[str, tuple[str, int]]) -> bytes:
    """A deflated workbook whose sheets are at the given paths (under ``xl/``), each ``(element, repeats)``:
    its sheetData holds ``element`` that many times (``<c/>`` cells inside one row), written in chunks so the test
    itself stays small."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        overrides = "".join(f'<Override PartName="/xl/{path}" ContentType="{SHEET_TYPE}"/>' for path in sheets)
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
                   'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
                   'xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                   f'officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   f'package/2006/relationships"><Relationship Id="rId1" Type="{RELS}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        listed = "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, len(sheets) + 1))
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
                   f'{listed}</sheets></workbook>')
        targets = "".join(f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="{path}"/>'
                          for i, path in enumerate(sheets, start=1))
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   f'openxmlformats.org/package/2006/relationships">{targets}</Relationships>')
        for path, (element, repeats) in sheets.items():
            with z.open(f"xl/{path}", "w") as part:
                cells = element == "<c/>"
                part.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
                part.write(b'<row r="1">' if cells else b"")
                chunk = element.encode() * 100_000
                for _ in range(repeats // 100_000):
                    part.write(chunk)
                part.write(element.encode() * (repeats % 100_000))
                part.write(b"</row>" if cells else b"")
                part.write(b"</sheetData></worksheet>")
    return out.getvalue()


HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>month</t></is></c></row>'
CASES = {
    # the probe's workbook: 133 KB, one sheet at xl/sheets/s1.xml holding 15 million empty rows
    "rows at another path": ({"sheets/s1.xml": ("<row/>", 15_000_000)}, "rows"),
    # a harmless first sheet, the rows in a second one (openpyxl sizes every sheet the workbook lists)
    "rows in a second sheet": ({"worksheets/sheet1.xml": (HEADER_ROW, 1), "data/other.xml": ("<row/>", 15_000_000)},
                               "rows"),
    # one row of ten million empty cells: few rows, but every element is parsed
    "cells in one row": ({"sheets/s1.xml": ("<c/>", 10_000_000)}, "XML elements"),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("upload", ["wage slips", "channel sales"])
async def test_a_small_hostile_workbook_is_refused_fast_with_bounded_memory(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str, upload: str,
        case: str) -> None:
    sheets, reason = CASES[case]
    body = hostile_workbook(sheets)
    assert len(body) < 300_000  # a small upload
    if upload == "wage slips":
        scene = await build_scene(http, services, county_code, admin_token)
        url, headers = f"/organisations/{scene.org}/wage-slips", scene.employer
    else:
        seller = given_certified_seller(services, county_code)
        given_certified_product(services, seller)
        url, headers = f"/organisations/{seller.credit_code}/channel-sales", token(services, "seller",
                                                                                   seller.credit_code)
    head = services.app.recorder.max_notification_id()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB; the server runs in this process
    r = await http.post(url, content=body, headers={**headers, "Content-Type": XLSX,
                                                    "Idempotency-Key": uuid.uuid4().hex})
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert r.status_code == 422, r.text[:500]
    assert r.headers["content-type"].startswith("application/problem+json")
    error = r.json()["errors"][0]
    assert error["field"] == "file" and reason in error["reason"], r.text
    # before: 24–32 s and 1.25 GB in openpyxl; bounds with a wide margin for a loaded CI machine
    assert r.elapsed.total_seconds() < 5, r.elapsed
    assert grown_mib < 200, grown_mib
    assert services.app.recorder.max_notification_id() == head  # nothing written
