"""Masked means masked: a reader who may not reveal an ID number cannot rebuild it from what else it reads; and an
official of one county cannot take another county's organisation code."""

from __future__ import annotations

import calendar
import json
from datetime import date

import httpx

from tests.conftest import bearer, official_token
from tests.e2e.test_employment_api import credit_code
from tests.helpers import households_csv
from xiaofei.bootstrap import Services
from xiaofei.domain.codes import id_check_digit


def candidates(mask: str, birth_year: int, sex: str, area: str) -> int:
    """ID numbers consistent with a mask (first and last four digits), a birth year, the sex and the likeliest
    area code (the household's county): how many an auditor would still have to choose between."""
    head, tail = mask[:4], mask[-4:]
    count = 0
    for month in range(1, 13):
        for day in range(1, calendar.monthrange(birth_year, month)[1] + 1):
            first17 = f"{head}{area[4:6]}{birth_year:04d}{month:02d}{day:02d}{tail[:3]}"
            if int(tail[2]) % 2 == (1 if sex == "M" else 0) and id_check_digit(first17) == tail[3]:
                count += 1
    return count


async def test_no_id_number_can_be_rebuilt_without_the_recorded_reveal(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    # issue 23.7: a county official rebuilt 9,981 of 9,981 numbers from the mask, the birth date and the county
    # code, and no reveal was written. Officials read what auditors read; the number is opened on the record.
    official = bearer(official_token(services, county_code))
    auditor = bearer(services.access.issue("auditor", [county_code], None, "审计", "test").secret)
    r = await http.post(f"/counties/{county_code}/household-imports", headers={**official, "Content-Type": "text/csv"},
                        content=households_csv(county_code, 40, members=2))
    assert r.status_code == 201, r.text
    position = r.json()["position"]
    for reader in (auditor, official):
        seen = 0
        for h in range(40):
            number = f"{county_code}H{h:07d}"
            r = await http.get(f"/counties/{county_code}/households/{number}", headers=reader,
                               params={"min_position": position})
            assert r.status_code == 200, r.text
            for m in r.json()["members"]:
                assert "birth_date" not in m and m["birth_year"]
                assert candidates(m["id_number_masked"], m["birth_year"], m["sex"], county_code) >= 2
                seen += 1
            events = (await http.get(f"/counties/{county_code}/households/{number}/events", headers=reader)).json()
            assert "birth_date" not in json.dumps(events)
        assert seen == 80
    # the official who needs the number opens it, and that is recorded where auditors read it
    base = f"/counties/{county_code}/households/{county_code}H0000000"
    person = (await http.get(base, headers=official)).json()["members"][0]["person_number"]
    r = await http.post(f"{base}/members/{person}/id-number-reveals", headers=official,
                        json={"purpose": "open a wage-subsidy bank account"})
    assert r.status_code == 201, r.text
    assert date.fromisoformat(f"{r.json()['id_number'][6:10]}-{r.json()['id_number'][10:12]}-"
                              f"{r.json()['id_number'][12:14]}")
    events = (await http.get(f"{base}/events", headers=auditor)).json()
    assert [e["type"] for e in events][-1] == "Household.IdNumberRevealed"


async def test_an_official_cannot_register_another_countys_organisation_code(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    other = f"{int(county_code) + 70:06d}"
    services.registry.register_county(other, "邻县", "测试省", "test")
    theirs = credit_code(other, 7)
    r = await http.post(f"/counties/{county_code}/organisations", headers=bearer(official_token(services, county_code)),
                        json={"credit_code": theirs, "name": "抢注公司", "form": "enterprise"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "credit_code", r.text
    r = await http.post(f"/counties/{other}/organisations", headers=bearer(official_token(services, other)),
                        json={"credit_code": theirs, "name": "本地公司", "form": "enterprise"})
    assert r.status_code == 201, r.text
