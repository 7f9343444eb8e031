"""The OpenAPI document is a valid OpenAPI 3.1 document (openapi-spec-validator) and says, for every operation, what
it does, who may call it and every error it can answer — as the server really answers them."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_spec_validator import validate

from xiaofei.http.openapi import operation_roles


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, item in document["paths"].items() for method, op in item.items()
            if isinstance(op, dict) and "responses" in op]


async def test_the_served_document_is_valid_openapi(http: httpx.AsyncClient) -> None:
    r = await http.get("/schema/openapi.json")
    assert r.status_code == 200
    validate(r.json())  # raises with the first violation


async def test_every_operation_is_described_with_its_roles_its_errors_and_the_bearer_scheme(
        http: httpx.AsyncClient, live_app: Any) -> None:
    document = (await http.get("/schema/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    roles = operation_roles(live_app)
    operations = _operations(document)
    assert len(operations) == len(roles)
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary") and op.get("description"), where
        errors = {code for code in op["responses"] if code.startswith(("4", "5"))}
        assert "503" in errors, where
        for code in errors:
            content = op["responses"][code]["content"]
            assert list(content) == ["application/problem+json"], where
            assert content["application/problem+json"]["examples"], where
        allowed = roles[op["operationId"]]
        if allowed is None:
            assert "security" not in op, where
        else:
            assert op["security"] == [{"bearer": []}], where
            assert {"401", "403", "429"} <= errors and f"Roles: {', '.join(sorted(allowed))}." in op["description"]
        if op.get("parameters") or op.get("requestBody"):
            assert {"400", "422"} <= errors, where
        if method == "post":
            assert {"404", "409"} <= errors, where
            # Prefer: wait where the answer carries the write's position: every command but the what-if query
            prefer = any(p["name"] == "Prefer" for p in op.get("parameters", []))
            assert prefer == (op["operationId"] != "whatIf"), where


async def test_every_operation_is_filed_under_a_tag(http: httpx.AsyncClient) -> None:
    # issue 26 §7: the income and dashboard operations had none and floated loose in the docs' sidebar
    document = (await http.get("/schema/openapi.json")).json()
    untagged = [f"{method.upper()} {path}" for path, method, op in _operations(document) if not op.get("tags")]
    assert untagged == []
    tags = {op["operationId"]: op["tags"] for _, _, op in _operations(document)}
    assert tags["listHouseholdIncomes"] == tags["exportHouseholdIncomes"] == ["income"]
    assert tags["getCountyDashboard"] == tags["exportProvinceCountyDashboards"] == ["dashboard"]


async def test_every_operation_carries_a_recorded_example_that_fits_its_schema(http: httpx.AsyncClient) -> None:
    # the examples are real calls of the end-to-end tests (tests/recording.py), not made up
    from jsonschema import Draft202012Validator

    document = (await http.get("/schema/openapi.json")).json()
    components = document["components"]

    def fits(schema: dict[str, Any], value: Any, where: str) -> None:
        errors = list(Draft202012Validator({**schema, "components": components}).iter_errors(value))
        assert not errors, f"{where}: {errors[0].message}"

    for path, method, op in _operations(document):
        where = f"{method.upper()} {path}"
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and "schema" in body:
            assert "example" in body, f"{where}: no request example"
            fits(body["schema"], body["example"], f"{where} request")
        for code, response in op["responses"].items():
            media = response.get("content", {}).get("application/json")
            if code.startswith("2") and media is not None and "schema" in media:
                assert media.get("examples"), f"{where}: no {code} example"
                fits(media["schema"], media["examples"]["recorded"]["value"], f"{where} {code}")
