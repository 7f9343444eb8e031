"""Every read of a read model takes ``min_position`` (read your own write) and every paged list takes ``limit``,
as the served OpenAPI document says and as the server answers (issue 22 point 25).

The walk covers every GET operation of ``/schema/openapi.json``; the only ones left out are listed in
NOT_READ_MODELS, each with the reason it reads no read model. (The docs UI under /schema, the dashboard's HTML
page /dashboard and its static files (/favicon.ico, /dashboard/assets, /dashboard/echarts) are not in the document at all.)"""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import bearer, official_token
from tests.consumption_given import given_buyer, given_certified_seller
from xiaofei.bootstrap import Services

NOT_READ_MODELS: dict[str, str] = {
    "/health": "liveness probe: answers from the process, reads no read model",
    "/ready": "readiness probe: checks the database and projectors, not a read model's rows",
    "/projections": "each projection's own position and lag: what a client polls to see how far the read models "
                    "are, so it cannot wait for one",
    "/policy/presets": "the named presets are constants of the code (xiaofei.rules.parameters.PRESETS), no log data",
    "/national/dashboard": "the national reporting database, fed by logical replication from every province "
                           "deployment: a position of this deployment's log does not order it (freshness is each "
                           "province's replication, see /national/totals)",
    "/national/totals": "the national reporting database (see /national/dashboard)",
    "/national/flagged-households": "the national reporting database (see /national/dashboard)",
}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _is_page(document: dict[str, Any], op: dict[str, Any]) -> bool:
    """A paged list answers an object with the rows under ``items`` and the cursor under ``next_after``."""
    content = op["responses"].get("200", {}).get("content", {}).get("application/json")
    if content is None or "schema" not in content:
        return False
    properties = _resolve(document, content["schema"]).get("properties", {})
    return "next_after" in properties and "items" in properties


async def test_every_read_model_get_takes_min_position_and_every_paged_list_takes_limit(
        http: httpx.AsyncClient) -> None:
    document = (await http.get("/schema/openapi.json")).json()
    missing_position, missing_limit, reads, pages = [], [], 0, 0
    for path, item in document["paths"].items():
        op = item.get("get")
        if op is None or path in NOT_READ_MODELS:
            continue
        query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        reads += 1
        if "min_position" not in query:
            missing_position.append(path)
        if _is_page(document, op):
            pages += 1
            if "limit" not in query:
                missing_limit.append(path)
    assert (missing_position, missing_limit) == ([], []), "GETs without min_position, paged lists without limit"
    assert reads > 40 and pages > 20  # the walk really walked
    exempt = {path for path in NOT_READ_MODELS if path in document["paths"]}
    assert exempt == set(NOT_READ_MODELS), "an exemption names a GET the document no longer has"


async def test_the_reads_the_issue_names_answer_min_position_and_limit(
        http: httpx.AsyncClient, services: Services, county_code: str) -> None:
    """They answered 400 ("unknown query parameter") before: a certification, the reference prices and a budget
    unit's own reserved-share progress."""
    official = bearer(official_token(services, county_code))
    seller = given_certified_seller(services, county_code)
    r = await http.post(f"/counties/{county_code}/reference-prices", headers=official, json={
        "category": "tea", "specification": "250g", "unit": "罐", "price_fen": 9000, "effective_from": "2024-01-01",
        "source": "县发改局2024年1月农产品价格监测"})
    assert r.status_code == 201, r.text
    position = r.json()["position"]

    r = await http.get(f"/counties/{county_code}/certifications/{seller.certification_id}", headers=official,
                       params={"min_position": position})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "certified"
    r = await http.get(f"/counties/{county_code}/reference-prices", headers=official,
                       params={"min_position": position, "limit": 10})
    assert r.status_code == 200, r.text
    assert [row["price_fen"] for row in r.json()["items"]] == [9000]

    # a position no write returned is refused as on every other read
    r = await http.get(f"/counties/{county_code}/certifications/{seller.certification_id}", headers=official,
                       params={"min_position": position + 10**9})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "min_position" in r.text and "past the last position" in r.text

    unit = given_buyer(services, county_code)
    buyer = bearer(services.access.issue("buyer", [], unit, "unit", "test").secret)
    r = await http.get(f"/organisations/{unit}/reserved-share-progress", headers=buyer,
                       params={"year": 2024, "limit": 1, "min_position": position})
    assert r.status_code == 200, r.text
    assert [row["budget_unit"] for row in r.json()["items"]] == [unit] and r.json()["next_after"] is None
