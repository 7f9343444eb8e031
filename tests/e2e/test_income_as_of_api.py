"""As-of reads of household income and the county summary (issue 10, point 2): what was known at a log position
or time, whatever was corrected later.

Given a county of two households of three (the province's monitoring threshold 8,700元 for 2025), verified wage
slips of household 0's first member for January–March 2025 (600.00元 net each), 低保 declared for both households,
then — later — household 0's 低保 declared again, its February slip corrected and a fourth member added: the
as-of answers for the earlier positions are the earlier figures, and the current answers the new ones. Figures by
hand in each test."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import credit_code
from tests.e2e.test_consumption_orders_api import token
from tests.helpers import households_csv, id_number
from tests.income_given import given_corrected_slip, given_verified_slips
from xiaofei.bootstrap import Services


def _admin(services: Services) -> dict[str, str]:
    return bearer(services.access.issue("admin", [], None, "test admin", "test").secret)


async def _get(http: httpx.AsyncClient, path: str, headers: dict[str, str], services: Services,
               **params: Any) -> dict[str, Any]:
    r = await http.get(path, headers=headers, params={"min_position": services.app.head_position(), **params})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def _declare(http: httpx.AsyncClient, county: str, number: str, official: dict[str, str], fen: int) -> int:
    r = await http.post(f"/counties/{county}/households/{number}/other-income", headers=official,
                        json={"year": 2025, "income_type": "dibao", "amount_fen": fen, "note": "年度收入核实"})
    assert r.status_code == 201, r.text
    return int(r.json()["position"])


class Story:
    """The scene, with the positions after each step."""

    def __init__(self, county: str, official: dict[str, str]) -> None:
        self.county, self.official = county, official
        self.h0, self.h1 = f"{county}H0000000", f"{county}H0000001"
        self.known: int = 0          # everything of the first year-end verification recorded
        self.known_time: datetime | None = None
        self.redeclared: int = 0
        self.corrected: int = 0
        self.added: int = 0
        self.then: dict[str, Any] = {}
        self.then_summary: dict[str, Any] = {}


async def _story(http: httpx.AsyncClient, services: Services, county: str) -> Story:
    story = Story(county, bearer(official_token(services, county)))
    services.importer.run(county, "h.csv", households_csv(county, 2, members=3), "test")
    r = await http.post(f"/policy/scopes/{county[:2]}0000/parameters", headers=_admin(services),
                        json={"name": "monitoring.threshold_fen", "value": "870000", "effective_from": "2025-01-01",
                              "effective_to": "2025-12-31", "source": "云农办通〔2025〕1号"})
    assert r.status_code == 201, r.text
    worker = services.employment.protector.hash(id_number(county, 0, born="19700115"))  # household 0's head
    workshop = uuid4()
    for month in ("2025-01", "2025-02", "2025-03"):
        given_verified_slips(services, credit_code(county, "91"), county, workshop, month, [(worker, 60_000)])
    await _declare(http, county, story.h1, story.official, 100_000)
    story.known = await _declare(http, county, story.h0, story.official, 200_000)
    base = f"/counties/{county}"
    story.then = await _get(http, f"{base}/households/{story.h0}/income", story.official, services, year=2025)
    story.then_summary = await _get(http, f"{base}/income-summary", story.official, services, year=2025)
    await asyncio.sleep(0.01)
    story.known_time = datetime.now(UTC)
    await asyncio.sleep(0.01)
    story.redeclared = await _declare(http, county, story.h0, story.official, 260_000)
    given_corrected_slip(services, workshop, "2025-02", worker, 30_000)
    story.corrected = services.app.head_position()
    r = await http.post(f"{base}/households/{story.h0}/members", headers=story.official, json={
        "member": {"person_number": f"{story.h0}09", "name": "新成员", "id_number": id_number(county, 77),
                   "relation": "spouse", "labour_capacity": "normal"}, "joined_on": "2025-06-01",
        "reason": "marriage"})
    assert r.status_code == 201, r.text
    story.added = int(r.json()["position"])
    return story


def _figures(answer: dict[str, Any]) -> tuple[Any, ...]:
    totals = {c["category"]: c["amount_fen"] for c in answer["categories"]}
    return totals["wage"], totals["transfer"], answer["net_fen"], answer["members"], answer["per_capita_net_fen"]


async def test_an_as_of_read_gives_what_was_known_then_and_the_current_read_the_corrections(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    s = await _story(http, services, county_code)
    path = f"/counties/{county_code}/households/{s.h0}/income"
    # then: wages 3 × 600.00, 低保 2,000.00 → net 3,800.00 ÷ 3 = 1,266.67元 (126,666.67 fen, half-up)
    assert _figures(s.then) == (180_000, 200_000, 380_000, 3, 126_667)
    now = await _get(http, path, s.official, services, year=2025)
    # now: wages 600 + 300 + 600, 低保 2,600.00 → net 4,100.00 ÷ 4 members (one joined in June) = 1,025.00元
    assert _figures(now) == (150_000, 260_000, 410_000, 4, 102_500)
    assert now["as_of"] is None
    at_known = await _get(http, path, s.official, services, year=2025, as_of_position=s.known)
    assert at_known["as_of"]["position"] == s.known and at_known["as_of"]["asked"] == f"as_of_position={s.known}"
    assert {k: v for k, v in at_known.items() if k != "as_of"} == {k: v for k, v in s.then.items() if k != "as_of"}
    # each later step, as of its own position: 低保 2,600 → 4,400 ÷ 3 = 146,666.67; the slip at 300 → 4,100 ÷ 3
    steps = [(s.redeclared, (180_000, 260_000, 440_000, 3, 146_667)),
             (s.corrected, (150_000, 260_000, 410_000, 3, 136_667)),
             (s.added, (150_000, 260_000, 410_000, 4, 102_500))]
    for position, figures in steps:
        answer = await _get(http, path, s.official, services, year=2025, as_of_position=position)
        assert _figures(answer) == figures, position
    assert {k: v for k, v in answer.items() if k != "as_of"} == {k: v for k, v in now.items() if k != "as_of"}
    # by time: the last position recorded at or before a moment between the first declaration and the second
    assert s.known_time is not None
    by_time = await _get(http, path, s.official, services, year=2025, as_of=s.known_time.isoformat())
    assert by_time["as_of"]["position"] == s.known and _figures(by_time) == _figures(s.then)
    assert by_time["as_of"]["asked"] == f"as_of={s.known_time.isoformat()}"
    assert datetime.fromisoformat(by_time["as_of"]["recorded_at"]) <= s.known_time
    # before the household was registered nothing was known about it
    r = await http.get(path, headers=s.official, params={"year": 2025, "as_of_position": 1})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


async def test_the_county_summary_as_of_a_position_and_now(http: httpx.AsyncClient, services: Services,
                                                           county_code: str) -> None:
    s = await _story(http, services, county_code)
    path = f"/counties/{county_code}/income-summary"
    then = s.then_summary
    # then: household 0 net 3,800.00 (1,266.67 per head), household 1 低保 1,000.00 (333.33 per head);
    # county 4,800.00 ÷ 6 = 800.00元, median (333.33 + 1,266.67) ÷ 2 = 800.00元; both below 8,700元
    assert (then["households"], then["members"], then["net_fen"], then["per_capita_net_fen"],
            then["median_per_capita_net_fen"], then["threshold_fen"], then["poverty_line_fen"]) == (
        2, 6, 480_000, 80_000, 80_000, 870_000, None)
    assert {f["flag"]: f["households"] for f in then["flags"]} == {
        "below_poverty_line": 0, "below_monitoring_threshold": 2, "sudden_drop": 0}
    assert {c["category"]: c["amount_fen"] for c in then["categories"]} == {
        "wage": 180_000, "operating": 0, "property": 0, "transfer": 300_000}
    now = await _get(http, path, s.official, services, year=2025)
    # now: 4,100.00 + 1,000.00 = 5,100.00 ÷ 7 = 728.571…元 → 72,857 fen; median (333.33 + 1,025.00) ÷ 2 = 679.165
    # → 67,917 fen (half-up)
    assert (now["households"], now["members"], now["net_fen"], now["per_capita_net_fen"],
            now["median_per_capita_net_fen"]) == (2, 7, 510_000, 72_857, 67_917)
    at_known = await _get(http, path, s.official, services, year=2025, as_of_position=s.known)
    assert {k: v for k, v in at_known.items() if k != "as_of"} == {k: v for k, v in then.items() if k != "as_of"}
    assert at_known["as_of"]["position"] == s.known
    at_head = await _get(http, path, s.official, services, year=2025, as_of_position=services.app.head_position())
    assert {k: v for k, v in at_head.items() if k != "as_of"} == {k: v for k, v in now.items() if k != "as_of"}
    assert s.known_time is not None
    by_time = await _get(http, path, s.official, services, year=2025, as_of=s.known_time.isoformat())
    assert by_time["as_of"]["position"] == s.known and by_time["net_fen"] == 480_000
    empty = await _get(http, path, s.official, services, year=2024)
    assert (empty["households"], empty["per_capita_net_fen"], empty["median_per_capita_net_fen"]) == (0, None, None)


async def test_bad_as_of_input_is_a_422_naming_the_parameter(http: httpx.AsyncClient, services: Services,
                                                            county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    base = f"/counties/{county_code}"
    head = services.app.head_position()
    for path in (f"{base}/households/H1/income", f"{base}/income-summary"):
        for params, field in (({"as_of_position": head + 1000}, "as_of_position"),
                              ({"as_of_position": 0}, "as_of_position"),
                              ({"as_of_position": "x"}, "as_of_position"),
                              ({"as_of_position": 1, "as_of": "2025-01-01T00:00:00+08:00"}, "as_of"),
                              ({"as_of": "2025-06-30T18:00:00"}, "as_of"),
                              ({"as_of": "yesterday"}, "as_of")):
            r = await http.get(path, headers=official, params={"year": 2025, **params})
            assert 400 <= r.status_code < 500 and field in r.text, (path, params, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        r = await http.get(path, headers=official, params={"year": 2025, "as_of_position": head + 1000})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "as_of_position", r.text


async def test_only_the_countys_officials_and_auditors_read_as_of(http: httpx.AsyncClient, services: Services,
                                                                  county_code: str) -> None:
    services.importer.run(county_code, "h.csv", households_csv(county_code, 1, members=3), "test")
    head = services.app.head_position()
    paths = [f"/counties/{county_code}/households/{county_code}H0000000/income",
             f"/counties/{county_code}/income-summary"]
    org = credit_code(county_code, "91")
    services.employment.register_organisation(county_code, org, "测试企业", "enterprise", "", "test")
    refused = [token(services, role, org) for role in ("employer", "seller", "buyer")]
    refused.append(bearer(official_token(services, "360799")))
    for path in paths:
        for headers in refused:
            r = await http.get(path, headers=headers, params={"year": 2025, "as_of_position": head})
            assert r.status_code == 403, (path, r.text)
    auditor = bearer(services.access.issue("auditor", [county_code], None, "auditor", "test").secret)
    summary = await _get(http, paths[1], auditor, services, year=2025, as_of_position=head)
    assert summary["households"] == 0 and summary["as_of"]["position"] == head
    r = await http.get(paths[0], headers=auditor, params={"year": 2025, "as_of_position": head})
    assert r.status_code == 404


async def test_an_as_of_time_at_the_calendars_edge_is_a_422_not_a_500(http: httpx.AsyncClient, services: Services,
                                                                    county_code: str) -> None:
    """Valid ISO 8601 times whose UTC date leaves the calendar (year 0, year 10000) reached the database driver."""
    official = bearer(official_token(services, county_code))
    base = f"/counties/{county_code}"
    for path in (f"{base}/households/H1/income", f"{base}/income-summary"):
        for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T23:59:59+08:00",
                       "2100-01-01T00:00:00Z"):
            # When an official asks for a read as of such a time
            r = await http.get(path, headers=official, params={"year": 2025, "as_of": moment})
            # Then it is refused naming as_of and the dates it may take
            assert r.status_code == 422, (path, moment, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            [problem] = r.json()["errors"]
            assert problem["field"] == "as_of" and "between 2000-01-01 and 2099-12-31" in problem["reason"], r.text
