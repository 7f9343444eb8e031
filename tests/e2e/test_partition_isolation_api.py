"""One event a projector cannot apply stops only its county: the other counties keep being served, the county's
reads answer 503 naming the event and the error, /projections and /ready show it, an operator can retry it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import httpx
import psycopg

from tests.conftest import TEST_SECRET
from tests.e2e.test_employment_api import build_scene, entitlements, slip, statement, upload
from xiaofei.bootstrap import Services
from xiaofei.domain.employment import Workshop
from xiaofei.domain.ids import claim_ledger_id


async def test_an_event_the_projection_cannot_apply_halts_only_its_county(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str, database_dsn: str,
        tmp_path: Path) -> None:
    broken = await build_scene(http, services, county_code, admin_token)
    other_county = f"{int(county_code) + 80:06d}"
    services.registry.register_county(other_county, "邻县", "测试省", "test")
    healthy = await build_scene(http, services, other_county, admin_token, org_n=4)

    # an event that slipped past validation (written straight to the store): 2^63 fen cannot be a bigint
    ws: Workshop = services.app.repository.get(UUID(broken.workshop))
    ws.report_cost("2024-03", "rent", 2**63, "发票 0", "test")
    bad_position = services.app.record(ws)

    # the other county is served: new slips, verified and entitled after the bad event
    await upload(http, healthy, [slip(healthy, healthy.workers[0], "2024-03", 60000, "H-1")])
    r = await statement(http, healthy, [("2024-03-28", "600", "", "H-1")])
    lines = await entitlements(http, healthy, r.json()["position"], "2024-03")
    assert lines["worker_wage"]["amount_fen"] == 12000

    # the broken county's reads say why they cannot be trusted
    r = await http.get(f"/organisations/{broken.org}/entitlements", headers=broken.employer,
                       params={"min_position": bad_position})
    assert r.status_code == 503 and r.headers["Retry-After"], r.text
    assert f"event {bad_position}" in r.json()["detail"] and "Workshop.CostReported" in r.json()["detail"]
    r = await http.get(f"/counties/{county_code}/flags", headers=broken.official)
    assert r.status_code == 503
    r = await http.get("/projections", headers={"Authorization": f"Bearer {admin_token}"})
    [employment] = [p for p in r.json() if p["name"] == "employment"]
    halted = {h["county"]: h for h in employment["halted"]}
    assert halted[county_code]["position"] == bad_position and "out of range" in halted[county_code]["error"]
    assert other_county not in halted
    r = await http.get("/ready")
    assert r.status_code == 200 and f"employment:{county_code}" in r.json()["status"]

    # a later event of the broken county waits behind the bad one (parked, not applied, not lost)
    r = await upload(http, broken, [slip(broken, broken.workers[0], "2024-04", 60000, "B-1")])
    assert r.status_code == 201
    await entitlements(http, healthy, r.json()["position"], "2024-03")  # the projector has passed it
    r = await http.get("/projections", headers={"Authorization": f"Bearer {admin_token}"})
    [employment] = [p for p in r.json() if p["name"] == "employment"]
    assert next(h for h in employment["halted"] if h["county"] == county_code)["parked_events"] >= 2

    # the operator's retry meets the same error until the cause is fixed: still halted, nothing lost
    projector = services.projector("employment")
    try:
        applied, error = projector.retry_partition(county_code)
    finally:
        projector.close()
    assert applied == 0 and error is not None and "out of range" in error
    env = {**os.environ, "XIAOFEI_DATABASE_URL": database_dsn, "XIAOFEI_SECRET_KEY": TEST_SECRET,
           "XIAOFEI_DATA_DIR": str(tmp_path)}
    listed = subprocess.run([sys.executable, "-m", "xiaofei.cli", "projections", "failures"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 1 and f"county {county_code}" in listed.stdout, listed.stderr
    retried = subprocess.run([sys.executable, "-m", "xiaofei.cli", "projections", "retry", "employment",
                              "--county", county_code], env=env, capture_output=True, text=True, timeout=120)
    assert retried.returncode == 1 and "out of range" in retried.stderr


async def test_a_claim_ledger_belongs_to_its_organisations_county(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str, database_dsn: str) -> None:
    # a ClaimLedger's events name only the organisation: were one to fail, it must halt that county, not all
    scene = await build_scene(http, services, county_code, admin_token)
    await upload(http, scene, [slip(scene, scene.workers[0], "2024-03", 60000, "L-1")])
    r = await statement(http, scene, [("2024-03-28", "600", "", "L-1")])
    await entitlements(http, scene, r.json()["position"], "2024-03")
    r = await http.post(f"/organisations/{scene.org}/claims", headers=scene.employer,
                        json={"period_from": "2024-03", "period_to": "2024-03"})
    assert r.status_code == 201, r.text
    await entitlements(http, scene, r.json()["position"], "2024-03")
    with psycopg.connect(database_dsn) as conn:
        row = conn.execute("SELECT county FROM rm_employment.partitions WHERE originator_id = %s",
                           (claim_ledger_id(scene.org),)).fetchone()
    assert row == (county_code,)


async def test_a_province_table_names_the_halted_parts_of_its_counties(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str) -> None:
    """Given two counties of one province, one of whose employment part halts at an event it cannot apply, when
    the province official reads the province's table, then both counties are listed and the halted one says which
    read model stopped (its figures may be behind), the other none — the county's own reads answer 503."""
    broken = await build_scene(http, services, county_code, admin_token)
    other = f"{int(county_code) + 80:06d}"
    services.registry.register_county(other, "邻县", "测试省", "test")
    ws: Workshop = services.app.repository.get(UUID(broken.workshop))
    ws.report_cost("2024-03", "rent", 2**63, "发票 0", "test")
    bad = services.app.record(ws)
    province = f"{county_code[:2]}0000"
    reader = {"Authorization": "Bearer " + services.access.issue("province_official", [province], None, "省", "t").secret}
    r = await http.get(f"/provinces/{province}/dashboard", headers=reader,
                       params={"year": 2024, "min_position": bad, "limit": 500})
    assert r.status_code == 200, r.text
    rows = {row["county"]: row for row in r.json()["items"]}
    assert rows[county_code]["halted"] == ["employment"]
    assert rows[other]["halted"] == []
    r = await http.get(f"/counties/{county_code}/dashboard", headers=broken.official,
                       params={"year": 2024, "min_position": bad})
    assert r.status_code == 503, r.text
