"""The same ID number in two households raises an integrity flag naming both (issue 8 §4), masked."""

from __future__ import annotations

import httpx

from tests.conftest import bearer, official_token
from tests.helpers import household_payload, id_number
from xiaofei.bootstrap import Services

KIND = "id_number_in_two_households"


async def _flags(http: httpx.AsyncClient, county: str, headers: dict[str, str], position: int) -> list[dict]:  # type: ignore[type-arg]
    r = await http.get(f"/counties/{county}/flags", headers=headers, params={"min_position": position, "kind": KIND})
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def _household(county: str, number: str, serial: int, shared: str | None = None) -> dict:  # type: ignore[type-arg]
    payload = household_payload(county, number, members=2, serial=serial)
    if shared is not None:
        payload["members"][1]["id_number"] = shared  # the spouse, who can leave the household
    return payload


async def test_one_id_number_in_households_of_two_counties_is_flagged_in_both_until_one_member_leaves(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    other = county_code[:4] + "02"  # the fixture's counties end in 01
    services.registry.register_county(other, f"邻县{other}", "测试省", "test")
    home, away = bearer(official_token(services, county_code)), bearer(official_token(services, other))
    shared = id_number(county_code, 77, born="19850505")
    # given a person registered in a household of each county (a move in flight, say)
    r = await http.post(f"/counties/{county_code}/households", headers=home,
                        json=_household(county_code, "D1", 81, shared))
    assert r.status_code == 201, r.text
    r = await http.post(f"/counties/{other}/households", headers=away, json=_household(other, "D9", 82, shared))
    assert r.status_code == 201, r.text
    position = r.json()["position"]
    # then each county's officials see one flag naming both households, with the masked ID only
    for county, headers in ((county_code, home), (other, away)):
        flags = await _flags(http, county, headers, position)
        assert len(flags) == 1, flags
        evidence = flags[0]["evidence"]
        assert [(h["county"], h["household_number"], h["person_number"]) for h in evidence["households"]] == sorted(
            [(county_code, "D1", "D102"), (other, "D9", "D902")])
        assert flags[0]["subject"] == evidence["id_masked"] == shared[:4] + "*" * 10 + shared[-4:]
        text = str(flags)
        assert shared not in text and shared[6:14] not in text
    # when the person leaves one of them, the flag clears in both counties
    r = await http.post(f"/counties/{other}/households/D9/members/D902/removal", headers=away,
                        json={"left_on": "2024-06-01", "reason": "moved to the other county"})
    assert r.status_code == 201, r.text
    for county, headers in ((county_code, home), (other, away)):
        assert await _flags(http, county, headers, r.json()["position"]) == []


async def test_one_id_number_in_two_households_of_one_import_is_flagged_once(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    shared = id_number(county_code, 66, born="19900101")
    header = "县,村,户编号,人编号,姓名,身份证号,与户主关系,劳动技能,致贫原因,户类型,识别日期\n"
    rows = "".join(
        f"{county_code},{county_code}100001,{n},{n}01,户主{n},{id_number(county_code, s)},户主,普通劳动力,因病,"
        f"脱贫户,2016-03-01\n{county_code},{county_code}100001,{n},{n}02,同一人,{shared},配偶,普通劳动力,因病,"
        "脱贫户,2016-03-01\n" for n, s in (("E1", 61), ("E2", 62)))
    r = await http.post(f"/counties/{county_code}/household-imports", content=(header + rows).encode(),
                        headers={**official, "Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    flags = await _flags(http, county_code, official, r.json()["position"])
    assert [[h["household_number"] for h in f["evidence"]["households"]] for f in flags] == [["E1", "E2"]]
