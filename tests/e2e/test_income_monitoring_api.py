"""Who the per-capita income divides by, which households have a year, and which months a sudden drop compares
(issue 22, points 18–20), through HTTP.

Linkage payments a seller made in past months are given as events (``tests/income_given.py``); registry changes
and the province's threshold go through HTTP, and every figure is read through HTTP. Dates that depend on "today"
are taken relative to the business date (Asia/Shanghai) the test runs on."""

from __future__ import annotations

from datetime import date

import httpx

from tests.conftest import bearer, official_token
from tests.e2e.test_income_api import _read
from tests.helpers import households_csv, id_number
from tests.income_given import given_linkage_payments
from xiaofei.bootstrap import Services
from xiaofei.domain.clock import business_today
from xiaofei.domain.consumption.linkage import LinkagePayment


def _closed(today: date) -> str:
    """The latest whole month closed on ``today``: the month before today's."""
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{y:04d}-{m:02d}"


def _year_earlier(month: str) -> str:
    return f"{int(month[:4]) - 1:04d}{month[4:]}"


def _month_day(month: str, day: int) -> date:
    return date(int(month[:4]), int(month[5:7]), day)


def _months_back(month: str, n: int) -> list[str]:
    """The ``n`` months ending at ``month``, oldest first."""
    y, m = int(month[:4]), int(month[5:7])
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


async def _threshold(http: httpx.AsyncClient, services: Services, county: str, year: int, fen: int) -> None:
    r = await http.post(f"/counties/{county}/policy/parameters", headers=bearer(official_token(services, county)),
                        json={"name": "monitoring.threshold_fen", "value": str(fen),
                              "effective_from": f"{year}-01-01", "effective_to": f"{year}-12-31",
                              "source": "县乡村振兴局 监测标准", "era": "transition"})
    assert r.status_code == 201, r.text


async def test_a_person_who_moved_counts_once_in_the_household_registered_at_year_end(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Given households A and B of two members each, each paid 12,000.00元 of land rent in 2026, and a threshold of
    7,000.00元; when A's spouse leaves A on 2026-03-01 and joins B the same day, then A's income is divided by the
    one member it has at year end (12,000.00元, not flagged) and B's by three (4,000.00元, flagged), and the county
    summary counts 4 people, not 5."""
    official = bearer(official_token(services, county_code))
    services.importer.run(county_code, "h.csv", households_csv(county_code, 2, members=2), "test")
    a, b = f"{county_code}H0000000", f"{county_code}H0000001"
    await _threshold(http, services, county_code, 2026, 700_000)
    given_linkage_payments(services, f"93{county_code}SELLER0001", county_code, [
        LinkagePayment(kind="land_rent", payee=a, amount_fen=1_200_000, paid_on=date(2026, 2, 10), reference="R-A"),
        LinkagePayment(kind="land_rent", payee=b, amount_fen=1_200_000, paid_on=date(2026, 2, 10), reference="R-B")])
    r = await http.post(f"/counties/{county_code}/households/{a}/members/{a}02/removal", headers=official,
                        json={"left_on": "2026-03-01", "reason": "marriage"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/counties/{county_code}/households/{b}/members", headers=official, json={
        "member": {"person_number": f"{b}03", "name": "配偶", "id_number": id_number(county_code, 1, born="19710215"),
                   "relation": "spouse", "labour_capacity": "normal"},
        "joined_on": "2026-03-01", "reason": "marriage"})
    assert r.status_code == 201, r.text

    got = {}
    for number in (a, b):
        r = await _read(http, f"/counties/{county_code}/households/{number}/income", official, services, year=2026)
        assert r.status_code == 200, r.text
        got[number] = (r.json()["members"], r.json()["per_capita_net_fen"], r.json()["flags"])
    assert got == {a: (1, 1_200_000, []), b: (3, 400_000, ["below_monitoring_threshold"])}
    r = await _read(http, f"/counties/{county_code}/income-summary", official, services, year=2026)
    summary = r.json()
    assert (summary["households"], summary["members"], summary["per_capita_net_fen"]) == (2, 4, 600_000)


async def test_a_household_whose_income_fell_to_nothing_has_its_year_and_is_flagged(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Given a household paid 1,000.00元 in each of the three months a year before the latest three closed months,
    and nothing since; when the county reads the year of those closed months, then the household has a row with
    zero income, raising `sudden_drop` (0 against 3,000.00元), and the county summary counts it."""
    official = bearer(official_token(services, county_code))
    services.importer.run(county_code, "h.csv", households_csv(county_code, 1, members=2), "test")
    number = f"{county_code}H0000000"
    closed = _closed(business_today())
    year = int(closed[:4])
    window = _months_back(closed, 3)  # the three latest closed months, the last one in ``year``
    given_linkage_payments(services, f"93{county_code}SELLER0001", county_code, [
        LinkagePayment(kind="land_rent", payee=number, amount_fen=100_000, reference=f"R-{m}",
                       paid_on=_month_day(_year_earlier(m), 10)) for m in window])

    r = await _read(http, f"/counties/{county_code}/households/{number}/income", official, services, year=year)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["net_fen"], got["members"], got["per_capita_net_fen"]) == (0, 2, 0)
    assert got["flags"] == ["sudden_drop"]
    evidence = got["flag_evidence"]["sudden_drop"]
    assert (evidence["months"], evidence["recent_fen"], evidence["earlier_fen"]) == (window, 0, 300_000)
    r = await _read(http, f"/counties/{county_code}/income-summary", official, services, year=year)
    summary = r.json()
    assert (summary["households"], summary["members"], summary["net_fen"]) == (1, 2, 0)
    assert {f["flag"]: f["households"] for f in summary["flags"]}["sudden_drop"] == 1
    page = await _read(http, f"/counties/{county_code}/household-incomes", official, services, year=year,
                       flag="sudden_drop")
    assert [h["household_number"] for h in page.json()["items"]] == [number]


async def test_steady_monthly_income_is_not_a_drop_while_the_current_month_is_open(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Given a household selling one pig (1,500.00元) every month for the fifteen months before this one, and another
    household paid today; when the county reads the household's income this year and the year of the last closed
    month, then no `sudden_drop` is raised: the comparison reads the three whole months that have closed, not the
    month still open that the other household's payment reached."""
    official = bearer(official_token(services, county_code))
    services.importer.run(county_code, "h.csv", households_csv(county_code, 2, members=2), "test")
    pig, other = f"{county_code}H0000000", f"{county_code}H0000001"
    today = business_today()
    closed = _closed(today)
    given_linkage_payments(services, f"93{county_code}SELLER0001", county_code, [
        *(LinkagePayment(kind="procurement", payee=pig, amount_fen=150_000, reference=f"PIG-{m}", produce="livestock",
                         quantity="1 头", paid_on=_month_day(m, 10)) for m in _months_back(closed, 15)),
        LinkagePayment(kind="land_rent", payee=other, amount_fen=5_000, paid_on=today, reference="TODAY")])
    for year in sorted({today.year, int(closed[:4])}):
        r = await _read(http, f"/counties/{county_code}/households/{pig}/income", official, services, year=year)
        assert r.status_code == 200, r.text
        assert "sudden_drop" not in r.json()["flags"], (year, r.json()["flag_evidence"])
