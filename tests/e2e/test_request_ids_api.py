"""Every response carries ``X-Request-ID``, the router's own 404 and 405 included, and errors name it in the body."""

from __future__ import annotations

import httpx


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
                                                                   caplog: object) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="xiaofei.http"):  # type: ignore[attr-defined]
        r = await http.get("/projections", headers={"Authorization": f"Bearer {admin_token}"})
        missing = await http.get("/no/such/route")
    seen = [rec for rec in caplog.records if rec.getMessage() == "request"]  # type: ignore[attr-defined]
    assert [(rec.path, rec.status) for rec in seen] == [("/projections", 200), ("/no/such/route", 404)]
    assert seen[0].actor and seen[0].actor.startswith("token:") and seen[1].actor is None
    assert r.status_code == 200 and missing.status_code == 404
