"""Issue 10's worked example through HTTP, and the income reads' access and input rules.

The facts an HTTP command cannot state for a past year (verified slips of 2025, claims paid in 2025, a seller's
linkage payments) are given as events (``tests/income_given.py``); the province's threshold and the declaration go
through HTTP, and every figure is read through HTTP."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import (
    credit_code,
    given_buyer,
    given_certified_product,
    given_certified_seller,
    given_received_order,
)
from tests.e2e.test_consumption_orders_api import token
from tests.helpers import households_csv, id_number
from tests.income_given import given_linkage_payments, given_paid_subsidy, given_verified_slips
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.linkage import LinkagePayment


def _admin(services: Services) -> dict[str, str]:
    return bearer(services.access.issue("admin", [], None, "test admin", "test").secret)


async def _read(http: httpx.AsyncClient, path: str, headers: dict[str, str], services: Services,
                **params: Any) -> httpx.Response:
    return await http.get(path, headers=headers, params={"min_position": services.app.head_position(), **params})


async def _worked_example(http: httpx.AsyncClient, services: Services, county: str) -> tuple[str, dict[str, str]]:
    official = bearer(official_token(services, county))
    services.importer.run(county, "h.csv", households_csv(county, 1, members=3), "test")
    number = f"{county}H0000000"
    r = await http.post(f"/policy/scopes/{county[:2]}0000/parameters", headers=_admin(services),
                        json={"name": "monitoring.threshold_fen", "value": "870000", "effective_from": "2025-01-01",
                              "effective_to": "2025-12-31", "source": "云农办通〔2025〕1号"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/counties/{county}/households/{number}/other-income", headers=official,
                        json={"year": 2025, "income_type": "dibao", "amount_fen": 200_000, "note": "年度收入核实"})
    assert r.status_code == 201, r.text
    worker = services.employment.protector.hash(id_number(county, 0, born="19700115"))
    org, workshop = credit_code(county, "91"), uuid4()
    for m in range(1, 13):
        month = f"2025-{m:02d}"
        (slip,) = given_verified_slips(services, org, county, workshop, month, [(worker, 60_000)])
        given_paid_subsidy(services, org, county, workshop, slip, worker, month, 12_000, date(2025, m, 20),
                           f"ZF-{month}")
    # revenue share 300.00元 accrued in December: 10% of 4,285.70元 of sales is a pool of 428.57元, 30% of it
    # (128.571元, half-up 128.57元) to the village collective, 300.00元 to the only linked household
    seller = given_certified_seller(services, county)
    tea = given_certified_product(services, seller, price_fen=428_570, households=(number,), rate="0.10")
    given_received_order(services, given_buyer(services, county), tea, received_on=date(2025, 12, 5))
    given_linkage_payments(services, seller.credit_code, county, [
        LinkagePayment(kind="procurement", payee=number, amount_fen=500_000, paid_on=date(2025, 9, 10),
                       reference="SG-1", produce="grain_oil", quantity="2000 斤"),
        # the seller pays the share out: that settles what was accrued and is not income a second time
        LinkagePayment(kind="revenue_share_payout", payee=number, amount_fen=30_000, paid_on=date(2026, 1, 5),
                       reference="FH-1", product_id=tea.product_id)])
    return number, official


async def test_the_worked_example_is_below_the_monitoring_threshold(http: httpx.AsyncClient, services: Services,
                                                                   county_code: str) -> None:
    number, official = await _worked_example(http, services, county_code)
    r = await _read(http, f"/counties/{county_code}/households/{number}/income", official, services, year=2025)
    assert r.status_code == 200, r.text
    got = r.json()
    totals = {c["category"]: c["amount_fen"] for c in got["categories"]}
    assert totals == {"wage": 720_000, "operating": 500_000, "property": 30_000, "transfer": 344_000}
    assert (got["gross_fen"], got["operating_cost_fen"], got["net_fen"]) == (1_594_000, 200_000, 1_394_000)
    assert (got["members"], got["per_capita_net_fen"], got["threshold_fen"]) == (3, 464_667, 870_000)
    assert got["flags"] == ["below_monitoring_threshold"]
    assert got["flag_evidence"]["below_monitoring_threshold"]["source"] == "云农办通〔2025〕1号"
    assert len(got["lines"]) == 27 and got["next_after"] is None
    kinds = {}
    for line in got["lines"]:
        kinds[line["kind"]] = kinds.get(line["kind"], 0) + 1
    assert kinds == {"wage_slip": 12, "worker_wage_subsidy": 12, "procurement": 1, "revenue_share": 1,
                     "declared_dibao": 1}
    slip = next(line for line in got["lines"] if line["kind"] == "wage_slip")
    assert slip["source"]["slip_version"] == 1 and slip["line_key"] == f"slip:{slip['source']['slip_id']}"
    subsidy = next(line for line in got["lines"] if line["kind"] == "worker_wage_subsidy")
    assert subsidy["source"]["reference"].startswith("ZF-2025-") and subsidy["source"]["lines"][0]["explanation"]
    share = next(line for line in got["lines"] if line["kind"] == "revenue_share")
    assert (share["month"], share["amount_fen"]) == ("2025-12", 30_000)
    assert {k: share["source"][k] for k in ("net_sales_fen", "revenue_share_rate", "pool_fen", "collective_share",
                                            "collective_fen", "weight", "total_weight", "sales")} == {
        "net_sales_fen": 428_570, "revenue_share_rate": "0.10", "pool_fen": 42_857, "collective_share": "0.30",
        "collective_fen": 12_857, "weight": 1, "total_weight": 1, "sales": 1}
    grain = next(line for line in got["lines"] if line["kind"] == "procurement")
    assert (grain["cost_fen"], grain["source"]["cost_ratio"], grain["source"]["reference"]) == (200_000, "0.40",
                                                                                                 "SG-1")
    assert [m["month"] for m in got["months"]] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert sum(m["net_fen"] for m in got["months"]) == 1_394_000 - 200_000  # the declaration has no month

    page = await _read(http, f"/counties/{county_code}/household-incomes", official, services, year=2025,
                       flag="below_monitoring_threshold")
    assert page.status_code == 200, page.text
    assert [(h["household_number"], h["per_capita_net_fen"], h["flags"]) for h in page.json()["items"]] == [
        (number, 464_667, ["below_monitoring_threshold"])]
    none = await _read(http, f"/counties/{county_code}/household-incomes", official, services, year=2025,
                       flag="sudden_drop")
    assert none.json()["items"] == []
    lines = await _read(http, f"/counties/{county_code}/households/{number}/income", official, services, year=2025,
                        limit=10)
    first = lines.json()
    rest = await _read(http, f"/counties/{county_code}/households/{number}/income", official, services, year=2025,
                       limit=100, after=first["next_after"])
    keys = [ln["line_key"] for ln in first["lines"] + rest.json()["lines"]]
    assert keys == sorted(line["line_key"] for line in got["lines"])


async def test_only_the_countys_officials_and_auditors_read_income(http: httpx.AsyncClient, services: Services,
                                                                 county_code: str) -> None:
    number = f"{county_code}H0000000"
    services.importer.run(county_code, "h.csv", households_csv(county_code, 1, members=3), "test")
    paths = [f"/counties/{county_code}/households/{number}/income", f"/counties/{county_code}/household-incomes"]
    auditor = bearer(services.access.issue("auditor", [county_code], None, "auditor", "test").secret)
    org = credit_code(county_code, "91")
    services.employment.register_organisation(county_code, org, "测试企业", "enterprise", "", "test")
    others = [token(services, role, org) for role in ("employer", "seller", "buyer")]
    others.append(bearer(official_token(services, "360799")))
    for path in paths:
        for refused in others:
            r = await http.get(path, headers=refused, params={"year": 2025})
            assert r.status_code == 403, (path, r.text)
    r = await _read(http, paths[1], auditor, services, year=2025)
    assert r.status_code == 200 and r.json()["items"] == []
    r = await _read(http, paths[0], auditor, services, year=2025)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


async def test_bad_input_is_a_4xx_naming_the_field(http: httpx.AsyncClient, services: Services,
                                                   county_code: str) -> None:
    official = bearer(official_token(services, county_code))
    base = f"/counties/{county_code}"
    for path, params, field in ((f"{base}/household-incomes", {}, "year"),
                                (f"{base}/household-incomes", {"year": "1999"}, "year"),
                                (f"{base}/household-incomes", {"year": "2025", "flag": "rich"}, "flag"),
                                (f"{base}/household-incomes", {"year": "2025", "after": "zz"}, "after"),
                                (f"{base}/households/H1/income", {"year": "20x5"}, "year"),
                                (f"{base}/households/H-1/income", {"year": "2025"}, "household_number")):
        r = await http.get(path, headers=official, params=params)
        assert 400 <= r.status_code < 500 and field in r.text, (path, params, r.status_code, r.text)
