"""Buyers and reserved shares (预留份额) through HTTP: a county registers buyers by credit code (an individual gets a
key), a budget unit files each year at least the minimum share of its canteen budget in force for its scope."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import bearer, official_token
from tests.e2e.test_consumption_certification_api import credit_code
from xiaofei.bootstrap import Services


async def register(http: httpx.AsyncClient, county: str, official: dict[str, str], buyer_type: str = "budget_unit",
                   expect: int = 201, **extra: Any) -> httpx.Response:
    body: dict[str, Any] = {"name": f"测试{buyer_type}", "buyer_type": buyer_type, **extra}
    if buyer_type != "individual" and "credit_code" not in extra:
        body["credit_code"] = credit_code(county, "11" if buyer_type == "budget_unit" else "91")
    r = await http.post(f"/counties/{county}/buyers", headers=official, json=body)
    assert r.status_code == expect, r.text
    return r


def buyer_token(services: Services, key: str) -> dict[str, str]:
    return bearer(services.access.issue("buyer", [], key, "buyer", "test").secret)


async def file(http: httpx.AsyncClient, key: str, headers: dict[str, str], expect: int = 201,
               **body: Any) -> httpx.Response:
    r = await http.post(f"/organisations/{key}/reserved-shares", headers=headers, json=body)
    assert r.status_code == expect, r.text
    return r


async def test_buyers_are_registered_by_checked_credit_code_or_given_a_key(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    code = credit_code(county_code, "11")
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    r = await register(http, county_code, official, expect=422, credit_code=bad)
    assert r.json()["errors"][0]["field"] == "credit_code" and "GB 32100" in r.json()["detail"]
    r = await register(http, county_code, official, credit_code=code.lower())
    assert r.json()["key"] == code
    await register(http, county_code, official, expect=409, credit_code=code)
    await register(http, county_code, official, "enterprise", 422, credit_code=None)
    r = await register(http, county_code, official, "wholesaler", 422)
    assert r.json()["errors"][0]["field"] == "buyer_type"
    # an east–west partner is registered here though its code was issued in another province
    partner = (await register(http, county_code, official, "east_west_partner",
                              credit_code=credit_code("330100", "91"))).json()["key"]
    assert partner[2:8] == "330100"

    r = await register(http, county_code, official, "individual", 422, counts_for=partner)
    assert r.json()["errors"][0]["field"] == "counts_for"  # counts for a budget unit only
    r = await register(http, county_code, official, "enterprise", 422, counts_for=code)
    assert r.json()["errors"][0]["field"] == "counts_for"  # only a union or an individual counts for one
    person = (await register(http, county_code, official, "individual", counts_for=code)).json()["key"]
    assert person.startswith("IND") and len(person) == 18 and person[3:].isdigit()
    union = (await register(http, county_code, official, "trade_union", counts_for=code)).json()["key"]

    r = await http.get(f"/organisations/{person}/buyer", headers=buyer_token(services, person))
    assert r.status_code == 200, r.text
    assert (r.json()["buyer_type"], r.json()["counts_for"], r.json()["credit_code"]) == ("individual", code, None)
    r = await http.get(f"/organisations/{union}/buyer", headers=official)
    assert (r.json()["buyer_type"], r.json()["county"], r.json()["filings"]) == ("trade_union", county_code, [])


async def test_a_200000_yuan_canteen_budget_at_10_percent_reserves_20000_yuan(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    key = (await register(http, county_code, official)).json()["key"]
    unit = buyer_token(services, key)
    r = await file(http, key, unit, 422, year=2026, kind="canteen", canteen_budget_fen=20_000_000,
                   reserved_share_rate="0.09")
    assert r.json()["errors"][0]["field"] == "reserved_share_rate" and "at least 0.10" in r.json()["detail"]
    for hostile in ("NaN", "Infinity", "1e-999", "1.5", ""):  # refused by the schema, before the rules
        r = await file(http, key, unit, 400, year=2026, kind="canteen", canteen_budget_fen=20_000_000,
                       reserved_share_rate=hostile)
        assert r.json()["errors"][0]["field"] == "reserved_share_rate", hostile
    r = await file(http, key, unit, year=2026, kind="canteen", canteen_budget_fen=20_000_000,
                   reserved_share_rate="0.10")
    assert r.json()["filing"] == {"year": 2026, "kind": "canteen", "canteen_budget_fen": 20_000_000,
                                  "reserved_share_rate": "0.10", "shared_with": None, "reserved_fen": 2_000_000,
                                  "minimum_rate": "0.10", "filed_on": r.json()["filing"]["filed_on"]}
    # half up per line: 333.33元 × 0.15 = 49.9995元 → 50.00元
    r = await file(http, key, unit, year=2025, kind="canteen", canteen_budget_fen=33333, reserved_share_rate="0.15")
    assert r.json()["filing"]["reserved_fen"] == 5000

    # the same filing again changes nothing; a different one is a correction and needs a reason
    same = await file(http, key, unit, year=2026, kind="canteen", canteen_budget_fen=20_000_000,
                      reserved_share_rate="0.10")
    assert same.json()["filing"]["reserved_fen"] == 2_000_000
    r = await file(http, key, unit, 422, year=2026, kind="canteen", canteen_budget_fen=30_000_000,
                   reserved_share_rate="0.10")
    assert r.json()["errors"][0]["field"] == "reason"
    await file(http, key, official, year=2026, kind="canteen", canteen_budget_fen=30_000_000,
               reserved_share_rate="0.10", reason="预算调整后更正")
    r = await http.get(f"/organisations/{key}/buyer", headers=unit)
    assert [(f["year"], f["reserved_fen"]) for f in r.json()["filings"]] == [(2025, 5000), (2026, 3_000_000)]


async def test_the_most_specific_scope_sets_the_minimum_share(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    official = bearer(official_token(services, county_code))
    key = (await register(http, county_code, official)).json()["key"]
    unit = buyer_token(services, key)
    # The test counties share provinces (9x0000): this province version covers 2019 only, which no other test files.
    r = await http.post(f"/policy/scopes/{county_code[:2]}0000/parameters", headers=bearer(admin_token), json={
        "name": "purchase.reserved_share_min", "value": "0.30", "effective_from": "2019-01-01",
        "effective_to": "2019-12-31", "source": "省财政厅关于做好预算单位预留份额工作的通知", "era": "campaign"})
    assert r.status_code == 201, r.text
    r = await file(http, key, unit, 422, year=2019, kind="canteen", canteen_budget_fen=1_000_000,
                   reserved_share_rate="0.20")
    assert r.json()["errors"][0]["field"] == "reserved_share_rate" and "at least 0.30" in r.json()["detail"]
    r = await file(http, key, unit, year=2019, kind="canteen", canteen_budget_fen=1_000_000,
                   reserved_share_rate="0.30")
    assert (r.json()["filing"]["minimum_rate"], r.json()["filing"]["reserved_fen"]) == ("0.30", 300_000)
    r = await file(http, key, unit, year=2020, kind="canteen", canteen_budget_fen=1_000_000,
                   reserved_share_rate="0.20")
    assert r.json()["filing"]["minimum_rate"] == "0.10"  # the province's version ended: the national 10 %


async def test_no_canteen_and_shared_canteen_filings(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    key = (await register(http, county_code, official)).json()["key"]
    host = (await register(http, county_code, official)).json()["key"]
    company = (await register(http, county_code, official, "enterprise")).json()["key"]
    unit = buyer_token(services, key)
    r = await file(http, key, unit, 422, year=2026, kind="no_canteen", canteen_budget_fen=100)
    assert r.json()["errors"][0]["field"] == "canteen_budget_fen"
    r = await file(http, key, unit, year=2026, kind="no_canteen")
    assert (r.json()["filing"]["reserved_fen"], r.json()["filing"]["reserved_share_rate"]) == (0, "0")
    r = await file(http, key, unit, 422, year=2025, kind="shared_canteen")
    assert r.json()["errors"][0]["field"] == "shared_with"
    r = await file(http, key, unit, 422, year=2025, kind="shared_canteen", shared_with=company)
    assert r.json()["errors"][0]["field"] == "shared_with"
    r = await file(http, key, unit, 422, year=2025, kind="shared_canteen", shared_with=key)
    assert r.json()["errors"][0]["field"] == "shared_with"
    r = await file(http, key, unit, year=2025, kind="shared_canteen", shared_with=host)
    assert (r.json()["filing"]["shared_with"], r.json()["filing"]["reserved_fen"]) == (host, 0)
    r = await file(http, key, unit, 422, year=2024, kind="buffet")
    assert r.json()["errors"][0]["field"] == "kind"
    r = await file(http, company, buyer_token(services, company), 422, year=2026, kind="no_canteen")
    assert r.json()["errors"][0]["field"] == "buyer"  # only a budget unit files


async def test_wrong_role_other_buyer_and_other_county_are_refused(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    key = (await register(http, county_code, official)).json()["key"]
    other = (await register(http, county_code, official)).json()["key"]
    filing = {"year": 2026, "kind": "no_canteen"}
    await file(http, key, buyer_token(services, other), 403, **filing)
    assert (await http.get(f"/organisations/{key}/buyer", headers=buyer_token(services, other))).status_code == 403
    elsewhere = bearer(official_token(services, "360799"))
    await file(http, key, elsewhere, 403, **filing)
    assert (await http.get(f"/organisations/{key}/buyer", headers=elsewhere)).status_code == 403
    await register(http, county_code, elsewhere, expect=403)
    await register(http, county_code, buyer_token(services, key), expect=403)
    auditor = bearer(services.access.issue("auditor", [county_code], None, "auditor", "test").secret)
    await file(http, key, auditor, 403, **filing)
    assert (await http.get(f"/organisations/{key}/buyer", headers=auditor)).status_code == 200
    r = await http.get("/organisations/11999999MA0000000X/buyer", headers=official)
    assert r.status_code == 404
