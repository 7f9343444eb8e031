"""Every JSON answer ends with a newline (issue 26 §17: `curl -s` ran the answer into the next prompt), and its
Content-Length counts it."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import bearer


def _ends_with_one_newline(r: httpx.Response) -> None:
    body = r.content
    assert body.endswith(b"\n") and not body.endswith(b"\n\n"), body[-40:]
    assert int(r.headers["content-length"]) == len(body)
    json.loads(body)


@pytest.mark.parametrize(("method", "path", "status", "media_type"), [
    ("GET", "/health", 200, "application/json"),
    ("GET", "/schema/openapi.json", 200, "application/vnd.oai.openapi+json"),
    ("GET", "/no/such/path", 404, "application/problem+json"),
    ("DELETE", "/health", 405, "application/problem+json"),
    ("GET", "/projections", 401, "application/problem+json"),
])
async def test_public_answers_and_refusals_end_with_a_newline(
        http: httpx.AsyncClient, method: str, path: str, status: int, media_type: str) -> None:
    r = await http.request(method, path)
    assert (r.status_code, r.headers["content-type"].split(";")[0]) == (status, media_type), r.text
    _ends_with_one_newline(r)


async def test_a_command_its_refusal_and_a_read_end_with_a_newline(http: httpx.AsyncClient, admin_token: str) -> None:
    admin = bearer(admin_token)
    created = await http.post("/admin/tokens", headers=admin, json={"role": "admin", "label": "newline test"})
    assert created.status_code == 201, created.text
    _ends_with_one_newline(created)
    refused = await http.post("/admin/tokens", headers=admin, json={"role": "nobody"})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    _ends_with_one_newline(refused)
    read = await http.get("/admin/tokens", headers=admin, params={"limit": 1})
    assert read.status_code == 200, read.text
    _ends_with_one_newline(read)


async def test_files_and_pages_are_left_as_they_are(http: httpx.AsyncClient) -> None:
    page = await http.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert int(page.headers["content-length"]) == len(page.content)
    assert not page.content.endswith(b"\n\n")
