"""Townships and villages by name (issue 26 §3): the registry takes their names from the household import's name
columns or from a county's area list, and the dashboard's township table, the flagged-household list and their
CSV exports show the name beside the code."""

from __future__ import annotations

import httpx

from tests.conftest import bearer, official_token
from tests.e2e.test_dashboard_api import _scene
from tests.helpers import households_csv
from xiaofei.bootstrap import Services


async def test_a_countys_area_list_names_its_townships_and_villages_in_every_table_and_export(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    county = county_code
    number, official = await _scene(http, services, county)
    fresh = {"min_position": services.app.head_position()}
    before = (await http.get(f"/counties/{county}/dashboard/areas", headers=official,
                             params={"year": 2025, "level": "township", **fresh})).json()["items"]
    assert {t["area_code"]: t["area_name"] for t in before} == {f"{county}100": None, f"{county}200": None}

    # when the county records its area list
    r = await http.put(f"/counties/{county}/areas", headers=official, json={"areas": [
        {"code": f"{county}100", "name": "东山镇"}, {"code": f"{county}100001", "name": "东上营村"},
        {"code": f"{county}200", "name": "营前镇"}]})
    assert r.status_code == 200, r.text
    fresh = {"min_position": r.json()["position"]}

    # then its tables answer the names beside the codes
    areas = (await http.get(f"/counties/{county}/areas", headers=official, params=fresh)).json()
    assert areas == [{"code": f"{county}100", "level": "township", "name": "东山镇"},
                     {"code": f"{county}100001", "level": "village", "name": "东上营村"},
                     {"code": f"{county}200", "level": "township", "name": "营前镇"}]
    townships = (await http.get(f"/counties/{county}/dashboard/areas", headers=official,
                                params={"year": 2025, "level": "township", **fresh})).json()["items"]
    assert {t["area_code"]: t["area_name"] for t in townships} == {f"{county}100": "东山镇", f"{county}200": "营前镇"}
    flagged = (await http.get(f"/counties/{county}/household-incomes", headers=official,
                              params={"year": 2025, "flag": "below_monitoring_threshold", **fresh})).json()["items"]
    assert [(h["household_number"], h["village_code"], h["village_name"]) for h in flagged] == [
        (number, f"{county}100001", "东上营村")]
    # and so do their exports
    table = await http.get(f"/counties/{county}/dashboard/areas/export", headers=official,
                           params={"year": 2025, "level": "township", "format": "csv", **fresh})
    text = table.content.decode("utf-8-sig")
    assert "区域名称 / Area name" in text.splitlines()[0], text.splitlines()[0]
    assert f"{county}100,东山镇," in text and f"{county}200,营前镇," in text, text
    incomes = await http.get(f"/counties/{county}/household-incomes/export", headers=official,
                             params={"year": 2025, "format": "csv", **fresh})
    assert f"{county}100001,东上营村," in incomes.content.decode("utf-8-sig")

    # a code of another county, or no name, is refused naming it
    r = await http.put(f"/counties/{county}/areas", headers=official,
                       json={"areas": [{"code": "110101001", "name": "别处"}]})
    assert r.status_code == 422 and "110101001" in r.text, r.text
    r = await http.put(f"/counties/{county}/areas", headers=official, json={"areas": [{"code": f"{county}100",
                                                                                       "name": ""}]})
    assert r.status_code == 400 or r.status_code == 422, r.text
    # an auditor reads the list; only an official records it
    auditor = bearer(services.access.issue("auditor", [county], None, "test auditor", "test").secret)
    assert (await http.get(f"/counties/{county}/areas", headers=auditor, params=fresh)).status_code == 200
    assert (await http.put(f"/counties/{county}/areas", headers=auditor,
                           json={"areas": [{"code": f"{county}100", "name": "东山镇"}]})).status_code == 403


def _named(county: str, rows: int, names: dict[int, tuple[str, str]]) -> bytes:
    """``households_csv`` with the 乡镇 and 村名称 columns; ``names`` by data row (others left empty)."""
    lines = households_csv(county, rows, villages=2, members=1).decode().splitlines()
    out = [lines[0] + ",乡镇,村名称"]
    for i, line in enumerate(lines[1:], start=1):
        township, village = names.get(i, ("", ""))
        out.append(f"{line},{township},{village}")
    return ("\n".join(out) + "\n").encode()


async def test_the_household_import_records_the_names_its_rows_give(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    county = county_code
    official = bearer(official_token(services, county))
    headers = {**official, "Content-Type": "text/csv"}
    # a file naming one township two ways is refused, naming the later row
    clash = _named(county, 2, {1: ("东山镇", "东上营村"), 2: ("东山乡", "东下营村")})
    r = await http.post(f"/counties/{county}/household-imports", headers=headers, content=clash)
    assert r.status_code == 422, r.text
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(3, "township_name")], r.text

    # a file naming them records the names with its households
    good = _named(county, 3, {1: ("东山镇", "东上营村"), 2: ("东山镇", "东下营村")})
    r = await http.post(f"/counties/{county}/household-imports", headers=headers, content=good)
    assert r.status_code == 201 and r.json()["registered"] == 3, r.text
    areas = (await http.get(f"/counties/{county}/areas", headers=official,
                            params={"min_position": r.json()["position"]})).json()
    assert areas == [{"code": f"{county}100", "level": "township", "name": "东山镇"},
                     {"code": f"{county}100001", "level": "village", "name": "东上营村"},
                     {"code": f"{county}100002", "level": "village", "name": "东下营村"}]
