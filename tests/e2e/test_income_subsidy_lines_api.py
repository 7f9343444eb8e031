"""Two workers of one household paid by the same subsidy claim: the household's income has one line for each (the
line key named only the claim, and the second line halted the income projection on a duplicate key — found by the
demo's paid claim, issue 26 §1)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import credit_code
from tests.helpers import households_csv, id_number
from tests.income_given import given_verified_slips
from xiaofei.bootstrap import Services
from xiaofei.domain.claims import Claim, ClaimLine


async def test_one_claim_paying_two_workers_of_a_household_gives_it_two_subsidy_lines(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    county = county_code
    official = bearer(official_token(services, county))
    services.importer.run(county, "h.csv", households_csv(county, 1, members=2), "test")
    number = f"{county}H0000000"
    workers = [services.employment.protector.hash(id_number(county, i, born=f"19{70 + i}0{i + 1}15"))
               for i in range(2)]
    org = credit_code(county, "91")
    services.employment.register_organisation(county, org, "测试企业", "enterprise", "", "test")
    workshop, _ = services.employment.register_workshop(org, "测试车间", "factory", f"{county}100001", "", "test")
    slips = given_verified_slips(services, org, county, workshop, "2025-03", [(w, 100_000) for w in workers])
    lines = [ClaimLine(line_no=n + 1, slip_id=slip, subsidy="worker_wage", payee=f"worker:{worker}",
                       workshop_id=workshop, month="2025-03", slip_version=1, entitled_fen=20_000 + n,
                       previously_claimed_fen=0, amount_fen=20_000 + n, kind="entitlement", adjusts_claim=None,
                       explanation={"rule": "worker_wage_rate × gross", "rate": "0.20", "gross_fen": 100_000})
             for n, (slip, worker) in enumerate(zip(slips, workers, strict=True))]
    filed = date(2025, 4, 1)
    claim = Claim(organisation=org, county=county, period_from="2025-03", period_to="2025-03", lines=lines,
                  actor="test", filed_on=filed, initiated_by="employer")
    today = date.today()
    claim.start_review(filed, "test")
    claim.finish_review(filed, "test")
    claim.publish_notice(filed, today, 7, "test")
    claim.approve(filed + timedelta(days=8), today, "test")
    claim.pay(date(2025, 4, 20), today, {f"worker:{w}": f"ZF-{n}" for n, w in enumerate(workers)}, "test")
    position = services.app.record(claim)

    r = await http.get(f"/counties/{county}/households/{number}/income", headers=official,
                       params={"year": 2025, "min_position": position})
    assert r.status_code == 200, r.text  # 503 while the income projection's county was halted
    subsidies = sorted((line["line_key"], line["amount_fen"]) for line in r.json()["lines"]
                       if line["kind"] == "worker_wage_subsidy")
    assert subsidies == sorted([(f"subsidy:{claim.id}:worker:{workers[0]}", 20_000),
                                (f"subsidy:{claim.id}:worker:{workers[1]}", 20_001)])
