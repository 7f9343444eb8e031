"""The registry slice through real HTTP: commands, read-your-writes, errors, CSV import."""

from __future__ import annotations

import httpx
import msgspec
import psycopg
import pytest

from tests.conftest import bearer, official_token
from tests.helpers import household_payload, households_csv, id_number
from xiaofei.bootstrap import Services
from xiaofei.domain.ids import household_id
from xiaofei.projectors.base import lock_key


@pytest.fixture
def official(services: Services, county_code: str) -> dict[str, str]:
    return bearer(official_token(services, county_code))


def head(services: Services) -> int:
    return services.app.head_position()


async def test_register_then_read_your_write(http: httpx.AsyncClient, county_code: str,
                                             official: dict[str, str]) -> None:
    r = await http.post(f"/counties/{county_code}/households", headers=official,
                        json=household_payload(county_code, "H1", members=3))
    assert r.status_code == 201, r.text
    position = r.json()["position"]
    r = await http.get(f"/counties/{county_code}/households/H1", params={"min_position": position}, headers=official)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["category"] == "exited" and body["member_count"] == 3
    head_member = body["members"][0]
    assert head_member["relation"] == "head"
    full = id_number(county_code, 0, born="19600101", male=True)
    assert head_member["id_number_masked"] == full[:4] + "*" * 10 + full[-4:]
    assert full not in r.text


async def test_a_query_that_cannot_see_the_position_answers_503_with_retry_after(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str], services: Services,
        database_dsn: str) -> None:
    settings = services.settings
    services.settings = msgspec.structs.replace(settings, read_wait_seconds=0.3)
    try:
        with psycopg.connect(database_dsn, autocommit=True) as conn:
            # the registry projector stalled (its lock held, as a stuck projector would): a real write it cannot see
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (lock_key("registry"),))
            try:
                w = await http.post(f"/counties/{county_code}/households", headers=official,
                                    json=household_payload(county_code, "STALE1"))
                assert w.status_code == 201, w.text
                r = await http.get(f"/counties/{county_code}/category-counts",
                                   params={"min_position": w.json()["position"]}, headers=official)
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (lock_key("registry"),))
    finally:
        services.settings = settings
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_a_position_past_the_head_of_the_log_is_refused_at_once(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str], services: Services) -> None:
    # no write ever returned it, so waiting cannot make it true: a 422 naming the parameter, not a 503 after 5 s
    r = await http.get(f"/counties/{county_code}/category-counts",
                       params={"min_position": head(services) + 1_000_000}, headers=official)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "min_position"
    assert r.elapsed.total_seconds() < 2


@pytest.mark.parametrize(("mutate", "field", "status"), [
    (lambda p: p.update(village_code="36072410000"), "village_code", 400),
    (lambda p: p["members"][0].update(id_number="360724198001011235"), "members[0].id_number", 422),
    (lambda p: p.update(category="rich"), "category", 422),
    (lambda p: p["members"][1].update(relation="head"), "members", 422),
    (lambda p: p.update(causes=["bad luck"]), "causes", 422),
    (lambda p: p.pop("members"), "members", 400),
    (lambda p: p.update(extra="x"), "extra", 400),
    (lambda p: p.update(effective_date="2016-02-30"), "effective_date", 400),
])
async def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str], services: Services,
        mutate: object, field: str, status: int) -> None:
    payload = household_payload(county_code, "HB")
    mutate(payload)  # type: ignore[operator]
    before = head(services)
    r = await http.post(f"/counties/{county_code}/households", headers=official, json=payload)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert any(field in e["field"] for e in problem["errors"]), problem
    assert all(e["reason"] for e in problem["errors"])
    assert head(services) == before


async def test_registering_the_same_household_twice_is_a_conflict(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    payload = household_payload(county_code, "HD")
    assert (await http.post(f"/counties/{county_code}/households", headers=official, json=payload)).status_code == 201
    r = await http.post(f"/counties/{county_code}/households", headers=official, json=payload)
    assert r.status_code == 409


async def test_member_changes_category_changes_and_counts_by_village(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    base = f"/counties/{county_code}/households"
    for n in ("M1", "M2"):
        assert (await http.post(base, headers=official, json=household_payload(county_code, n))).status_code == 201
    r = await http.post(f"{base}/M1/members", headers=official, json={
        "member": {"person_number": "M1-9", "name": "新生儿", "id_number": id_number(county_code, 77, "20240101"),
                   "relation": "child", "labour_capacity": "none"},
        "joined_on": "2024-01-05", "reason": "birth"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{base}/M1/members/M101/removal", headers=official,
                        json={"left_on": "2024-06-01", "reason": "head cannot leave"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "person_number"
    r = await http.post(f"{base}/M1/members/M102/removal", headers=official,
                        json={"left_on": "2024-06-01", "reason": "married out"})
    assert r.status_code == 201
    r = await http.post(f"{base}/M2/category-changes", headers=official, json={
        "category": "monitored", "subtype": "sudden_hardship", "effective_date": "2025-03-01",
        "reason": "identified", "note": "flood damage"})
    assert r.status_code == 201, r.text
    r = await http.post(f"{base}/M2/other-income", headers=official,
                        json={"year": 2025, "income_type": "dibao", "amount_fen": 360000})
    position = r.json()["position"]

    r = await http.get(f"{base}/M1", params={"min_position": position}, headers=official)
    m1 = r.json()
    assert m1["member_count"] == 2
    left = {m["person_number"]: m["left_on"] for m in m1["members"]}
    assert left == {"M101": None, "M102": "2024-06-01", "M1-9": None}
    m2 = (await http.get(f"{base}/M2", headers=official)).json()
    assert m2["category"] == "monitored" and m2["subtype"] == "sudden_hardship"
    assert [h["category"] for h in m2["category_history"]] == ["exited", "monitored"]
    assert m2["other_income"] == [{"year": 2025, "income_type": "dibao", "amount_fen": 360000, "note": ""}]
    counts = (await http.get(f"/counties/{county_code}/category-counts", headers=official)).json()
    assert counts == [
        {"village_code": f"{county_code}100001", "category": "exited", "households": 1},
        {"village_code": f"{county_code}100001", "category": "monitored", "households": 1},
    ]


async def test_revealing_an_id_number_needs_a_purpose_and_is_recorded(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str], services: Services) -> None:
    base = f"/counties/{county_code}/households"
    assert (await http.post(base, headers=official, json=household_payload(county_code, "R1"))).status_code == 201
    r = await http.post(f"{base}/R1/members/R101/id-number-reveals", headers=official, json={"purpose": ""})
    assert r.status_code == 400
    r = await http.post(f"{base}/R1/members/R101/id-number-reveals", headers=official,
                        json={"purpose": "open wage-subsidy bank account"})
    assert r.status_code == 201
    assert r.json()["id_number"] == id_number(county_code, 0, born="19600101", male=True)
    household = services.app.repository.get(household_id(county_code, "R1"))
    assert household.id_reveal_count == 1


async def test_village_listing_pages_by_household_number(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    r = await http.post(f"/counties/{county_code}/household-imports", headers={**official, "Content-Type": "text/csv"},
                        content=households_csv(county_code, 25, villages=1))
    assert r.status_code == 201, r.text
    position = r.json()["position"]
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 10, "min_position": position, **({"after": after} if after else {})}
        page = (await http.get(f"/counties/{county_code}/villages/{county_code}100001/households",
                               params=params, headers=official)).json()
        seen += [h["household_number"] for h in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(seen) and len(seen) == 25


async def test_import_with_errors_lists_rows_and_writes_nothing(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str], services: Services) -> None:
    good = households_csv(county_code, 50).decode()
    lines = good.splitlines()
    cells = lines[7].split(",")
    cells[5] = cells[5][:-1] + ("0" if cells[5][-1] != "0" else "1")  # break one check digit
    lines[7] = ",".join(cells)
    lines[20] = lines[20].replace("普通劳动力", "很强")
    before = head(services)
    r = await http.post(f"/counties/{county_code}/household-imports",
                        headers={**official, "Content-Type": "text/csv"}, content="\n".join(lines).encode())
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert {(e["row"], e["field"]) for e in errors} >= {(8, "id_number"), (21, "labour_capacity")}
    assert head(services) == before
    counts = (await http.get(f"/counties/{county_code}/category-counts", headers=official)).json()
    assert counts == []


async def test_importing_the_same_file_twice_changes_nothing(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str], services: Services) -> None:
    content = households_csv(county_code, 40)
    headers = {**official, "Content-Type": "text/csv"}
    first = (await http.post(f"/counties/{county_code}/household-imports", headers=headers, content=content)).json()
    assert first["registered"] == 40 and not first["already_imported"]
    before = head(services)
    second = (await http.post(f"/counties/{county_code}/household-imports", headers=headers, content=content)).json()
    assert second["already_imported"] and second["registered"] == 40
    assert head(services) == before
    # A new file repeating some of the same households (identical data) registers only the new ones.
    overlap = households_csv(county_code, 60)
    third = (await http.post(f"/counties/{county_code}/household-imports", headers=headers, content=overlap)).json()
    assert (third["registered"], third["unchanged"]) == (20, 40)


async def test_import_refuses_a_non_csv_body(http: httpx.AsyncClient, county_code: str,
                                             official: dict[str, str]) -> None:
    r = await http.post(f"/counties/{county_code}/household-imports", headers={**official, "Content-Type": "text/csv"},
                        content=b"\xff\xfe\x00garbage\x81")
    assert r.status_code == 422
    r = await http.post(f"/counties/{county_code}/household-imports", headers=official, json={"a": 1})
    assert r.status_code == 415 and r.headers["content-type"].startswith("application/problem+json")


async def test_ten_thousand_households_in_one_request(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str]) -> None:
    content = households_csv(county_code, 10_000, villages=40)
    r = await http.post(f"/counties/{county_code}/household-imports",
                        headers={**official, "Content-Type": "text/csv"}, content=content)
    assert r.status_code == 201, r.text[:500]
    body = r.json()
    assert body["registered"] == 10_000 and body["rows"] == 20_000
    # the projections take a few seconds for 10,000 households on a busy machine: ask again while they catch up
    for _ in range(30):
        r = await http.get(f"/counties/{county_code}/category-counts", params={"min_position": body["position"]},
                           headers=official)
        if r.status_code != 503:
            break
    assert r.status_code == 200, r.text
    counts = r.json()
    assert sum(c["households"] for c in counts) == 10_000
    assert len(counts) == 40


async def test_auditors_read_the_raw_event_history_without_sealed_ids(
        http: httpx.AsyncClient, county_code: str, official: dict[str, str], services: Services) -> None:
    base = f"/counties/{county_code}/households"
    assert (await http.post(base, headers=official, json=household_payload(county_code, "E1"))).status_code == 201
    r = await http.post(f"{base}/E1/category-changes", headers=official, json={
        "category": "monitored", "subtype": "edge_at_risk", "effective_date": "2024-01-01", "reason": "identified"})
    assert r.status_code == 201
    auditor = bearer(services.access.issue("auditor", [county_code], None, "audit", "test").secret)
    r = await http.get(f"{base}/E1/events", headers=auditor)
    assert r.status_code == 200, r.text
    history = r.json()
    assert [h["type"] for h in history] == ["Household.Registered", "Household.CategoryChanged"]
    assert history[1]["data"]["reason"] == "identified" and history[1]["actor"].startswith("token:")
    assert "id_sealed" not in r.text and "id_masked" in r.text
    assert (await http.get(f"{base}/NOPE/events", headers=auditor)).status_code == 404


async def test_framework_errors_are_problem_json_too(http: httpx.AsyncClient, county_code: str,
                                                     official: dict[str, str]) -> None:
    r = await http.get(f"/counties/{county_code}/villages/{county_code}100001/households", params={"limit": 0},
                       headers=official)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "limit"
    r = await http.get("/no/such/route", headers=official)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = await http.post(f"/counties/{county_code}/households", headers={**official, "Content-Type": "application/json"},
                        content=b"{not json")
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert "x-request-id" in r.headers


async def test_projection_status_shows_position_and_lag(http: httpx.AsyncClient, services: Services,
                                                        admin_token: str) -> None:
    r = await http.get("/projections", headers=bearer(admin_token))
    assert r.status_code == 200
    status = {p["name"]: p for p in r.json()}
    assert set(status) == {"access", "registry", "policy", "employment", "consumption", "income", "dashboard"}
    for p in status.values():
        assert 0 <= p["position"] <= p["head"] and p["lag"] == p["head"] - p["position"]


def test_the_first_admin_token_is_made_once(services: Services) -> None:
    services.access.issue_first_admin()  # may or may not be the first call in this database
    assert services.access.issue_first_admin() is None
    assert services.access.first_admin_exists()
