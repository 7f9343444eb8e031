"""Every response carries ``X-Request-ID``, the router's own 404 and 405 included, and errors name it in the body."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest


async def test_an_unknown_path_is_a_problem_with_a_request_id(http: httpx.AsyncClient) -> None:
    r = await http.get("/no/such/route")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    rid = r.headers["x-request-id"]
    assert rid and r.json()["request_id"] == rid


async def test_a_wrong_method_is_a_problem_with_the_request_id_echoed(http: httpx.AsyncClient) -> None:
    r = await http.delete("/health", headers={"X-Request-ID": "probe-405-abc"})
    assert r.status_code == 405 and r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["x-request-id"] == "probe-405-abc"
    assert r.json()["request_id"] == "probe-405-abc"


async def test_one_id_per_response_on_success_and_refusal(http: httpx.AsyncClient) -> None:
    ok = await http.get("/health")
    refused = await http.get("/projections")  # no token: 401
    for r in (ok, refused):
        assert len(r.headers.get_list("x-request-id")) == 1, r.headers
    assert refused.status_code == 401 and refused.json()["request_id"] == refused.headers["x-request-id"]
    assert ok.headers["x-request-id"] != refused.headers["x-request-id"]


async def test_an_unusable_incoming_id_is_replaced(http: httpx.AsyncClient) -> None:
    r = await http.get("/no/such/route", headers={"X-Request-ID": "bad id; <script>"})
    assert r.headers["x-request-id"] != "bad id; <script>" and r.headers["x-request-id"].isalnum()


async def test_the_request_log_line_names_the_status_and_the_caller(http: httpx.AsyncClient, admin_token: str,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="xiaofei.http"):
        await http.get("/projections", headers={"Authorization": f"Bearer {admin_token}"})
        await http.get("/no/such/route")
        # the line is written once the response has gone out, so it may follow the answer by a moment
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            seen = {r.path: r for r in caplog.records
                    if r.getMessage() == "request" and r.path in {"/projections", "/no/such/route"}}
            if len(seen) == 2:
                break
            await asyncio.sleep(0.02)
    assert {p: r.status for p, r in seen.items()} == {"/projections": 200, "/no/such/route": 404}
    assert seen["/projections"].actor.startswith("token:") and seen["/no/such/route"].actor is None


async def test_the_docs_assets_are_served_to_anyone(http: httpx.AsyncClient) -> None:
    from xiaofei.http import docs

    for url in (f"{docs.swagger_prefix()}/swagger-ui-bundle.js", f"{docs.scalar_prefix()}/standalone.js"):
        r = await http.get(url)  # no token
        assert r.status_code == 200 and "javascript" in r.headers["content-type"], url
        assert "max-age=86400" in r.headers["cache-control"] and r.headers["x-request-id"]
    r = await http.get(f"{docs.scalar_prefix()}/no-such-file.js")
    assert r.status_code == 404 and r.json()["request_id"] == r.headers["x-request-id"]
