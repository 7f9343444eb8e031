"""The county dashboard through HTTP: figures computed by hand from a county's year, the township table, a
province's counties side by side, who may read it, and bad input.

Given issue 10's worked household (3 members; wages 12 × 600.00元 on verified slips, worker subsidies paid
12 × 120.00元, procurement of grain 5,000.00元, a revenue-share payout 300.00元, 低保 2,000.00元 declared, the
province's monitoring threshold 8,700元) and, in the same county, a certified seller's certified tea (10% revenue
share to that household) bought by a budget unit: 3 cans in March 2025 (tagged east_west), 2 in April, 100.00元
each, when the county's 2025 dashboard is read, then:
- sales 500.00元 in 2 lines (March 300.00元 east_west, April 200.00元 untagged);
- money attributed 5,035.00元 to one household: the grain 5,000.00元 plus the household's part of the pools,
  March 30.00元 − 9.00元 collective (30%) = 21.00元 and April 20.00元 − 6.00元 = 14.00元 (the payout is the pool
  paid out, not counted twice);
- wages 7,200.00元 on 12 slips, average 600.00元; subsidies paid 1,440.00元;
- one household below the monitoring threshold (net 13,675.00元, 3 members: its property income is the 35.00元
  accrued, not the 300.00元 paid out), in township <county>100;
- the workshop (in township <county>200) reporting every month, its wages counted there.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import (credit_code, given_buyer, given_certified_product, given_certified_seller,
                                     given_received_order, given_refund)
from tests.e2e.test_consumption_orders_api import token
from tests.helpers import households_csv, id_number
from tests.income_given import given_linkage_payments, given_paid_subsidy, given_verified_slips
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.linkage import LinkagePayment
from xiaofei.projectors.base import rebuild
from xiaofei.projectors.dashboard import DashboardProjection
from xiaofei.projectors.dashboard.projection import refresh_after_retry


async def _read(http: httpx.AsyncClient, path: str, headers: dict[str, str], services: Services,
                **params: Any) -> httpx.Response:
    return await http.get(path, headers=headers, params={"min_position": services.app.head_position(), **params})


async def _scene(http: httpx.AsyncClient, services: Services, county: str) -> tuple[str, dict[str, str]]:
    official = bearer(official_token(services, county))
    services.importer.run(county, "h.csv", households_csv(county, 1, members=3), "test")
    number = f"{county}H0000000"
    admin = bearer(services.access.issue("admin", [], None, "test admin", "test").secret)
    r = await http.post(f"/policy/scopes/{county[:2]}0000/parameters", headers=admin,
                        json={"name": "monitoring.threshold_fen", "value": "870000", "effective_from": "2025-01-01",
                              "effective_to": "2025-12-31", "source": "云农办通〔2025〕1号"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/counties/{county}/households/{number}/other-income", headers=official,
                        json={"year": 2025, "income_type": "dibao", "amount_fen": 200_000, "note": "年度收入核实"})
    assert r.status_code == 201, r.text
    worker = services.employment.protector.hash(id_number(county, 0, born="19700115"))
    org = credit_code(county, "91")
    services.employment.register_organisation(county, org, "测试企业", "enterprise", "", "test")
    workshop, _ = services.employment.register_workshop(org, "测试车间", "factory", f"{county}200001", "", "test")
    for m in range(1, 13):
        month = f"2025-{m:02d}"
        (slip,) = given_verified_slips(services, org, county, workshop, month, [(worker, 60_000)])
        given_paid_subsidy(services, org, county, workshop, slip, worker, month, 12_000, date(2025, m, 20),
                           f"ZF-{month}")
    seller = given_certified_seller(services, county)
    tea = given_certified_product(services, seller, price_fen=10_000, households=(number,), rate="0.10")
    given_linkage_payments(services, seller.credit_code, county, [
        LinkagePayment(kind="procurement", payee=number, amount_fen=500_000, paid_on=date(2025, 9, 10),
                       reference="SG-1", produce="grain_oil", quantity="2000 斤"),
        LinkagePayment(kind="revenue_share_payout", payee=number, amount_fen=30_000, paid_on=date(2025, 12, 5),
                       reference="FH-1", product_id=tea.product_id)])
    unit = given_buyer(services, county)
    given_received_order(services, unit, tea, quantity=3, received_on=date(2025, 3, 10), tag="east_west")
    given_received_order(services, unit, tea, quantity=2, received_on=date(2025, 4, 10))
    return number, official


async def test_the_county_year_adds_up_by_hand(http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    number, official = await _scene(http, services, county_code)
    r = await _read(http, f"/counties/{county_code}/dashboard", official, services, year=2025)
    assert r.status_code == 200, r.text
    body = r.json()
    head = body["headline"]
    assert (body["area_level"], body["area_code"], body["year"]) == ("county", county_code, 2025)
    assert head["sales_fen"] == 50_000 and head["sales_lines"] == 2
    assert head["attributed_fen"] == 500_000 + 2_100 + 1_400 and head["households_reached"] == 1
    assert head["wages_fen"] == 720_000 and head["average_wage_fen"] == 60_000
    assert head["subsidies_paid_fen"] == 144_000
    assert head["certified_sellers"] == 1 and head["certified_products"] == 1 and head["as_of_month"] == "2025-12"
    assert head["households_flagged"] == {"below_poverty_line": 0, "below_monitoring_threshold": 1, "sudden_drop": 0}
    months = {m["month"]: m for m in body["months"]}
    assert sorted(months) == [f"2025-{m:02d}" for m in range(1, 13)]
    assert (months["2025-03"]["sales_fen"], months["2025-04"]["sales_fen"], months["2025-05"]["sales_fen"]) == (
        30_000, 20_000, 0)
    assert months["2025-03"]["attributed_fen"] == 2_100 and months["2025-09"]["attributed_fen"] == 500_000
    assert all(m["wages_fen"] == 60_000 and m["slips"] == 1 and m["subsidies_paid_fen"] == 12_000
               for m in months.values())
    assert {b["key"]: b["sales_fen"] for b in body["sales"]["tag"]} == {"east_west": 30_000, "none": 20_000}
    assert {b["key"]: b["sales_fen"] for b in body["sales"]["buyer_type"]} == {"budget_unit": 50_000}
    assert body["income"] == {"households": 1, "members": 3, "net_fen": 1_367_500, "below_poverty_line": 0,
                              "below_monitoring_threshold": 1, "above_threshold": 0, "no_member": 0}
    assert body["reserved_share"] == {"budget_units": 1, "filed": 0, "exempt": 0, "reserved_fen": 0,
                                      "purchased_fen": 50_000, "progress": None, "units_reached": 0}
    # the same figures as the upstream reads: the income read flags the same household
    flagged = await _read(http, f"/counties/{county_code}/household-incomes", official, services, year=2025,
                          flag="below_monitoring_threshold")
    assert [h["household_number"] for h in flagged.json()["items"]] == [number]

    # the township table: the household's township carries its flag and money; sales (no origin village) do not
    township = f"{county_code}100"
    r = await _read(http, f"/counties/{county_code}/dashboard/areas", official, services, year=2025)
    assert r.status_code == 200, r.text
    rows = {a["area_code"]: a["headline"] for a in r.json()["items"]}
    assert list(rows) == [township, f"{county_code}200"]
    assert rows[f"{county_code}200"]["wages_fen"] == 720_000 and rows[f"{county_code}200"]["attributed_fen"] == 0
    assert rows[f"{county_code}200"]["workshops_reporting"] == 1
    assert rows[township]["households_flagged"]["below_monitoring_threshold"] == 1
    assert rows[township]["attributed_fen"] == 503_500 and rows[township]["sales_fen"] == 0
    assert rows[township]["certified_sellers"] is None and rows[township]["subsidies_paid_fen"] is None
    r = await _read(http, f"/counties/{county_code}/dashboard", official, services, year=2025, area=township)
    assert r.status_code == 200 and r.json()["area_level"] == "township", r.text
    assert r.json()["reserved_share"] is None and r.json()["open_flags"] == []
    villages = await _read(http, f"/counties/{county_code}/dashboard/areas", official, services, year=2025,
                           level="village")
    assert [a["area_code"] for a in villages.json()["items"]] == [f"{county_code}100001", f"{county_code}200001"]
    r = await _read(http, f"/counties/{county_code}/dashboard", official, services, year=2025,
                    area=f"{county_code}999")
    assert r.status_code == 404, r.text
    r = await _read(http, f"/counties/{county_code}/dashboard", official, services, year=2024)
    assert r.status_code == 200 and r.json()["headline"]["sales_fen"] == 0 and r.json()["months"] == []


async def test_a_refund_lowers_the_sales_of_its_month_and_is_never_counted_as_a_sale_line(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Given two 100.00元 sales in March and one refunded in April, then the dashboard counts 2 sale lines (March),
    April's sales are −100.00元 in 0 lines, and the breakdowns count lines the same way (as ``/sales`` does)."""
    official = bearer(official_token(services, county_code))
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, price_fen=10_000)
    unit = given_buyer(services, county_code)
    first = given_received_order(services, unit, tea, received_on=date(2025, 3, 10))
    given_received_order(services, unit, tea, received_on=date(2025, 3, 11))
    given_refund(services, first, 10_000, recorded_on=date(2025, 4, 2))
    r = await _read(http, f"/counties/{county_code}/dashboard", official, services, year=2025)
    assert r.status_code == 200, r.text
    body = r.json()
    months = {m["month"]: m for m in body["months"]}
    assert (months["2025-03"]["sales_fen"], months["2025-03"]["sales_lines"]) == (20_000, 2)
    assert (months["2025-04"]["sales_fen"], months["2025-04"]["sales_lines"]) == (-10_000, 0)
    assert (body["headline"]["sales_fen"], body["headline"]["sales_lines"]) == (10_000, 2)
    assert [(b["key"], b["sales_lines"]) for b in body["sales"]["buyer_type"]] == [("budget_unit", 2)]


async def test_a_revoked_sellers_products_stop_counting_as_certified(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Given a certified seller with two certified products, revoked on 2025-05-10, then May's dashboard counts no
    certified seller and no certified product (April: 1 and 2), and the product list says why."""
    official = bearer(official_token(services, county_code))
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller)
    given_certified_product(services, seller, name="富硒大米", category="grain_oil")
    unit = given_buyer(services, county_code)
    for received_on in (date(2025, 4, 15), date(2025, 5, 2)):  # months with activity appear on the dashboard
        given_received_order(services, unit, tea, received_on=received_on)
    services.certification.revoke(county_code, seller.certification_id, date(2025, 5, 10), "弄虚作假", "test")
    r = await _read(http, f"/counties/{county_code}/dashboard", official, services, year=2025)
    assert r.status_code == 200, r.text
    months = {m["month"]: m for m in r.json()["months"]}
    assert (months["2025-04"]["certified_sellers"], months["2025-04"]["certified_products"]) == (1, 2)
    assert (months["2025-05"]["certified_sellers"], months["2025-05"]["certified_products"]) == (0, 0)
    r = await _read(http, f"/counties/{county_code}/products", official, services)
    assert sorted((p["status"], p["orderable"]) for p in r.json()["items"]) == [("seller_not_certified", False)] * 2


async def test_a_year_whose_refunds_exceed_its_purchases_shows_the_same_negative_progress_everywhere(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """A unit's 1,000.00元 reserved for 2025 (10 % of 10,000.00元); a 2024 purchase of 50.00元 refunded in 2025:
    2025 progress is −0.0500 on the dashboard as on the unit's progress list (it was −1.9500 on the dashboard)."""
    official = bearer(official_token(services, county_code))
    seller = given_certified_seller(services, county_code)
    tea = given_certified_product(services, seller, price_fen=5_000)
    unit = given_buyer(services, county_code)
    services.buyers.file_share(unit, 2025, "canteen", 1_000_000, Decimal("0.10"), None, "", "test")
    order = given_received_order(services, unit, tea, received_on=date(2024, 12, 20))
    given_refund(services, order, 5_000, recorded_on=date(2025, 1, 6))
    r = await _read(http, f"/counties/{county_code}/dashboard", official, services, year=2025)
    share = r.json()["reserved_share"]
    assert (share["reserved_fen"], share["purchased_fen"], share["progress"]) == (100_000, -5_000, "-0.0500")
    r = await _read(http, f"/counties/{county_code}/reserved-share-progress", official, services, year=2025)
    assert [(p["purchased_fen"], p["progress"]) for p in r.json()["items"]] == [(-5_000, "-0.0500")]


async def test_a_read_after_new_facts_is_never_an_earlier_answer(http: httpx.AsyncClient, services: Services,
                                                                 county_code: str) -> None:
    """Given the county's dashboard and township table read (and kept by the API for reads at the same
    positions), when another sale of a product linked to the household is received in May, then a read that waits
    for it sees it: the answers kept are those of the positions they were computed at, never later ones."""
    number, official = await _scene(http, services, county_code)
    township = f"{county_code}100"
    first = await _read(http, f"/counties/{county_code}/dashboard", official, services, year=2025)
    again = await _read(http, f"/counties/{county_code}/dashboard", official, services, year=2025)
    assert again.json() == first.json() and first.json()["headline"]["sales_fen"] == 50_000
    areas = await _read(http, f"/counties/{county_code}/dashboard/areas", official, services, year=2025)
    before = {a["area_code"]: a["headline"] for a in areas.json()["items"]}[township]["attributed_fen"]
    seller = given_certified_seller(services, county_code, name="另一合作社")
    honey = given_certified_product(services, seller, price_fen=10_000, households=(number,), rate="0.10",
                                    name="蜂蜜")
    given_received_order(services, given_buyer(services, county_code), honey, received_on=date(2025, 5, 10))
    later = await _read(http, f"/counties/{county_code}/dashboard", official, services, year=2025)
    assert later.json()["headline"]["sales_fen"] == 60_000
    assert later.json()["headline"]["certified_sellers"] == 2
    areas = await _read(http, f"/counties/{county_code}/dashboard/areas", official, services, year=2025)
    after = {a["area_code"]: a["headline"] for a in areas.json()["items"]}[township]["attributed_fen"]
    assert after == before + 700  # 10% of 100.00元, less the collective's 30%


async def test_rows_rewritten_at_the_same_position_are_never_answered_from_before(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Given the county's dashboard read while its rows were wrong (as a bug in the projection's SQL would leave
    them), when a rebuild — or the recompute after an operator's retry of a halted county — rewrites them with no
    new event, then the next read answers from the rewritten rows, not the answer kept at that position."""
    _, official = await _scene(http, services, county_code)
    path = f"/counties/{county_code}/dashboard"
    assert (await _read(http, path, official, services, year=2025)).json()["headline"]["sales_fen"] == 50_000
    for repair in ("rebuild", "retry"):
        with services.params.connect() as conn:  # wrong rows as a batch would write them: with its tracking row
            conn.execute("UPDATE rm_dashboard.area_months SET sales_fen = 0 WHERE county = %s", (county_code,))
            conn.execute("UPDATE rm_dashboard.tracking SET notification_id = notification_id")
        damaged = await _read(http, path, official, services, year=2025)
        assert damaged.json()["headline"]["sales_fen"] == 0, repair
        if repair == "rebuild":
            rebuild(services.app, DashboardProjection, services.params)
        else:
            refresh_after_retry(services.params, "consumption", county_code)
        repaired = await _read(http, path, official, services, year=2025)
        assert repaired.json()["headline"]["sales_fen"] == 50_000, repair


async def test_province_officials_see_their_counties_side_by_side(http: httpx.AsyncClient, services: Services,
                                                                   county_code: str) -> None:
    await _scene(http, services, county_code)
    province = f"{county_code[:2]}0000"
    p = bearer(services.access.issue("province_official", [province], None, "省乡村振兴局", "test").secret)
    r = await _read(http, f"/provinces/{province}/dashboard", p, services, year=2025, limit=500)
    assert r.status_code == 200, r.text
    mine = [c for c in r.json()["items"] if c["county"] == county_code]
    assert len(mine) == 1 and mine[0]["headline"]["sales_fen"] == 50_000
    assert all(c["county"].startswith(county_code[:2]) for c in r.json()["items"])
    r = await _read(http, f"/counties/{county_code}/dashboard", p, services, year=2025)
    assert r.status_code == 200 and r.json()["headline"]["sales_fen"] == 50_000
    # but nothing else of the county: a province official reads dashboards only
    r = await _read(http, f"/counties/{county_code}/household-incomes", p, services, year=2025)
    assert r.status_code == 403, r.text
    other = bearer(services.access.issue("province_official", ["990000"], None, "外省", "test").secret)
    for path in (f"/provinces/{province}/dashboard", f"/counties/{county_code}/dashboard"):
        r = await _read(http, path, other, services, year=2025)
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json"), r.text


async def test_only_the_countys_readers_see_its_dashboard(http: httpx.AsyncClient, services: Services,
                                                          county_code: str) -> None:
    auditor = bearer(services.access.issue("auditor", [county_code], None, "审计", "test").secret)
    r = await _read(http, f"/counties/{county_code}/dashboard", auditor, services, year=2025)
    assert r.status_code == 200, r.text
    stranger = bearer(official_token(services, "360724"))
    org = credit_code(county_code, "91")
    services.employment.register_organisation(county_code, org, "测试企业", "enterprise", "", "test")
    employer = token(services, "employer", org)
    for headers in (stranger, employer, {}):
        r = await _read(http, f"/counties/{county_code}/dashboard", headers, services, year=2025)
        assert r.status_code in (401, 403), r.text
    official = bearer(official_token(services, county_code))
    r = await _read(http, f"/provinces/{county_code[:2]}0000/dashboard", official, services, year=2025)
    assert r.status_code == 403, r.text


async def test_bad_input_is_a_4xx_naming_the_field(http: httpx.AsyncClient, services: Services,
                                                   county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    cases = [({"year": "1999"}, "year"), ({"year": "2025", "area": "12"}, "area"),
             ({"year": "2025", "area": "360724100"}, "area"), ({}, "year"), ({"year": "2025", "limit": "0"}, None)]
    for params, field in cases:
        r = await http.get(f"/counties/{county_code}/dashboard", headers=official, params=params)
        if field is None:
            assert r.status_code == 400, r.text  # unknown query parameter on this read
            continue
        assert r.status_code in (400, 422) and field in r.text, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await http.get(f"/counties/{county_code}/dashboard/areas", headers=official,
                       params={"year": "2025", "level": "province"})
    assert r.status_code == 400 and "level" in r.text, r.text
    p = bearer(services.access.issue("province_official", ["910000"], None, "省", "test").secret)
    r = await http.get("/provinces/91000X/dashboard", headers=p, params={"year": "2025"})
    assert r.status_code == 400 and "province" in r.text, r.text
    r = await http.post("/admin/tokens", headers=bearer(services.access.issue("admin", [], None, "a", "t").secret),
                        json={"role": "province_official", "counties": ["910001"], "label": "x"})
    assert r.status_code in (400, 422) and "counties" in r.text, r.text
