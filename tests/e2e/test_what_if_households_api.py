"""The employment what-if per household (issue 10, point 3), a worked example by hand.

Given 上犹县's preset (worker wage subsidy 20% of gross), two workers each alone in their household, paid by bank in
March and April 2024 — worker 0 1,000.00元 a month, worker 1 600.00元 — and a county monitoring threshold of
2,050.00元 for 2024: each household's 2024 net income is its wages (no subsidy paid yet), 2,000.00元 and 1,200.00元
per head. When the what-if raises the rate to 30% from April, then worker 0's April entitlement goes from 200.00 to
300.00元 (+100.00) and worker 1's from 120.00 to 180.00元 (+60.00): household 0 would have 2,100.00元 per head and
cross the threshold upwards; household 1 1,260.00元, still below. The employer match changes the employer's total
but no household's income."""

from __future__ import annotations

import httpx

from datetime import date

from tests.conftest import bearer, official_token
from tests.e2e.test_employment_api import build_scene, slip, statement, upload
from tests.helpers import households_csv
from tests.income_given import given_linkage_payments
from tests.integration.test_projections import wait_caught_up
from xiaofei.application.whatif_households import crossing
from xiaofei.bootstrap import Services
from xiaofei.domain.consumption.linkage import LinkagePayment


async def test_the_what_if_reports_each_households_per_capita_change_and_threshold_crossing(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    scene = await build_scene(http, services, county_code, admin_token, workers=2)
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=scene.official, json={
        "name": "monitoring.threshold_fen", "value": "205000", "effective_from": "2024-01-01",
        "effective_to": "2024-12-31", "source": "县乡村振兴局 2024 年监测标准", "era": "transition"})
    assert r.status_code == 201, r.text
    wages = {0: 100_000, 1: 60_000}
    await upload(http, scene, [slip(scene, scene.workers[i], m, wages[i], f"W{m}{i}")
                               for m in ("2024-03", "2024-04") for i in (0, 1)])
    r = await statement(http, scene, [(f"{m}-28", str(wages[i] // 100), "", f"W{m}{i}")
                                      for m in ("2024-03", "2024-04") for i in (0, 1)])
    assert r.json()["matched"] == 4, r.text
    h0, h1 = f"{county_code}H0000000", f"{county_code}H0000001"
    r = await http.get(f"/counties/{county_code}/households/{h0}/income", headers=scene.official,
                       params={"year": 2024, "min_position": r.json()["position"]})
    assert r.status_code == 200, r.text
    assert (r.json()["net_fen"], r.json()["per_capita_net_fen"], r.json()["threshold_fen"]) == (
        200_000, 200_000, 205_000)
    r = await http.post(f"/counties/{county_code}/what-if", headers=scene.official, json={
        "period_from": "2024-03", "period_to": "2024-04",
        "overrides": [{"name": "subsidy.worker_wage_rate", "value": "0.30", "effective_from": "2024-04-01"}]})
    assert r.status_code == 200, r.text
    result = r.json()
    assert [(h["household_number"], h["year"], h["members"], h["current_net_fen"], h["net_change_fen"],
             h["current_per_capita_net_fen"], h["candidate_per_capita_net_fen"], h["per_capita_change_fen"],
             h["threshold_fen"], h["crosses_threshold"]) for h in result["households"]] == [
        (h0, 2024, 1, 200_000, 10_000, 200_000, 210_000, 10_000, 205_000, "up"),
        (h1, 2024, 1, 120_000, 6_000, 120_000, 126_000, 6_000, 205_000, None)]
    assert result["households_elsewhere"] == 0
    by_subsidy = {s["subsidy"]: s["difference_fen"] for s in result["by_subsidy"]}
    assert by_subsidy["worker_wage"] == 16_000  # the households' changes, and only these
    assert result["difference_fen"] > 16_000  # the employer match moves the employer's total, no household's
    auditor = services.access.issue("auditor", [county_code], None, "auditor", "test").secret
    r = await http.post(f"/counties/{county_code}/what-if", headers={"Authorization": f"Bearer {auditor}"}, json={
        "period_from": "2024-03", "period_to": "2024-04",
        "overrides": [{"name": "subsidy.worker_wage_rate", "value": "0.30", "effective_from": "2024-04-01"}]})
    assert r.status_code == 200 and len(r.json()["households"]) == 2
    r = await http.post(f"/counties/{county_code}/what-if", headers=scene.employer, json={
        "period_from": "2024-03", "period_to": "2024-04",
        "overrides": [{"name": "subsidy.worker_wage_rate", "value": "0.30", "effective_from": "2024-04-01"}]})
    assert r.status_code == 403  # an employer never sees households through the what-if


def test_a_crossing_is_up_from_below_to_at_or_above_and_down_the_reverse() -> None:
    assert crossing(204_999, 205_000, 205_000, 205_000) == "up"
    assert crossing(205_000, 204_999, 205_000, 205_000) == "down"
    assert crossing(205_000, 300_000, 205_000, 205_000) is None
    assert crossing(100_000, 204_999, 205_000, 205_000) is None
    assert crossing(750_000, 750_000, 700_000, 870_000) == "down"  # the threshold moved over the household
    assert crossing(750_000, 750_000, 870_000, 700_000) == "up"
    assert crossing(None, 210_000, 205_000, 205_000) is None and crossing(200_000, 210_000, None, None) is None


async def _income_what_if(http: httpx.AsyncClient, official: dict[str, str], county: str,
                          override: dict[str, str]) -> list[tuple]:
    r = await http.post(f"/counties/{county}/what-if", headers=official, json={
        "period_from": "2026-01", "period_to": "2026-12", "overrides": [override]})
    assert r.status_code == 200, r.text
    return [(h["household_number"], h["current_net_fen"], h["net_change_fen"], h["current_per_capita_net_fen"],
             h["candidate_per_capita_net_fen"], h["threshold_fen"], h["candidate_threshold_fen"],
             h["current_flags"], h["candidate_flags"], h["crosses_threshold"]) for h in r.json()["households"]]


async def test_the_what_if_recomputes_household_income_under_the_income_parameters(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Given three households of one member in 2026 under a county threshold of 7,000.00元: two paid land rent of
    7,500.00 and 7,200.00元, one selling 10,000.00元 of grain (40% cost deducted: 6,000.00元 net). When the
    what-if raises the threshold to 8,700.00元, then the two rent households would fall below it ("down", flagged);
    when it sets the grain cost ratio to 60%, then the grain household's net falls by 2,000.00元 to 4,000.00元, below
    the threshold. Nothing is written: the household's income read afterwards is unchanged."""
    official = bearer(official_token(services, county_code))
    services.importer.run(county_code, "h.csv", households_csv(county_code, 3, members=1), "test")
    h0, h1, h2 = (f"{county_code}H000000{i}" for i in range(3))
    r = await http.post(f"/counties/{county_code}/policy/parameters", headers=official, json={
        "name": "monitoring.threshold_fen", "value": "700000", "effective_from": "2026-01-01",
        "effective_to": "2026-12-31", "source": "县乡村振兴局 监测标准", "era": "transition"})
    assert r.status_code == 201, r.text
    given_linkage_payments(services, f"93{county_code}SELLER0001", county_code, [
        LinkagePayment(kind="land_rent", payee=h0, amount_fen=750_000, paid_on=date(2026, 4, 10), reference="R-0"),
        LinkagePayment(kind="land_rent", payee=h1, amount_fen=720_000, paid_on=date(2026, 4, 10), reference="R-1"),
        LinkagePayment(kind="procurement", payee=h2, amount_fen=1_000_000, paid_on=date(2026, 9, 10),
                       reference="SG-2", produce="grain", quantity="4000 斤")])
    wait_caught_up(services, "income")

    assert await _income_what_if(http, official, county_code, {
        "name": "monitoring.threshold_fen", "value": "870000", "effective_from": "2026-01-01",
        "effective_to": "2026-12-31"}) == [
        (h0, 750_000, 0, 750_000, 750_000, 700_000, 870_000, [], ["below_monitoring_threshold"], "down"),
        (h1, 720_000, 0, 720_000, 720_000, 700_000, 870_000, [], ["below_monitoring_threshold"], "down"),
        (h2, 600_000, 0, 600_000, 600_000, 700_000, 870_000, ["below_monitoring_threshold"],
         ["below_monitoring_threshold"], None)]
    assert await _income_what_if(http, official, county_code, {
        "name": "income.cost_ratio.grain", "value": "0.60", "effective_from": "2026-01-01"}) == [
        (h2, 600_000, -200_000, 600_000, 400_000, 700_000, 700_000, ["below_monitoring_threshold"],
         ["below_monitoring_threshold"], None)]
    r = await http.get(f"/counties/{county_code}/households/{h2}/income", headers=official,
                       params={"year": 2026, "min_position": services.app.head_position()})
    assert (r.json()["net_fen"], r.json()["threshold_fen"]) == (600_000, 700_000)


async def test_the_what_if_judges_the_sudden_drop_by_the_candidate_percentage(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """Given a household paid 1,000.00元 of land rent in October 2024 and 600.00元 in October 2025: its 2025 income
    is down 40% on the same closed months a year earlier, flagged `sudden_drop` at the default 30%. When the what-if
    sets `monitoring.sudden_drop_pct` to 50%, then the flag would go; nothing else of the household changes."""
    official = bearer(official_token(services, county_code))
    services.importer.run(county_code, "h.csv", households_csv(county_code, 1, members=1), "test")
    number = f"{county_code}H0000000"
    given_linkage_payments(services, f"93{county_code}SELLER0001", county_code, [
        LinkagePayment(kind="land_rent", payee=number, amount_fen=100_000, paid_on=date(2024, 10, 10), reference="A"),
        LinkagePayment(kind="land_rent", payee=number, amount_fen=60_000, paid_on=date(2025, 10, 10), reference="B")])
    wait_caught_up(services, "income")
    r = await http.post(f"/counties/{county_code}/what-if", headers=official, json={
        "period_from": "2025-01", "period_to": "2025-12", "overrides": [
            {"name": "monitoring.sudden_drop_pct", "value": "0.50", "effective_from": "2025-01-01"}]})
    assert r.status_code == 200, r.text
    # other tests of the session may set the province's monitoring lines: only the drop is this test's
    drops = [(h["household_number"], h["year"], h["net_change_fen"], "sudden_drop" in h["current_flags"],
              "sudden_drop" in h["candidate_flags"]) for h in r.json()["households"]]
    assert drops == [(number, 2025, 0, True, False)]
