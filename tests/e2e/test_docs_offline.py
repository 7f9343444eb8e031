"""The docs pages render in a real browser that may reach nothing but this machine.

Debian's Chromium (``/usr/bin/chromium``), driven by Playwright from PyPI; every request to a host other than
127.0.0.1/localhost is refused and recorded, so a page that still needs a CDN fails here."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="no chromium: `apt-get install -y chromium` to run the offline docs test")
playwright = pytest.importorskip("playwright.async_api", reason="playwright (the test extra) is not installed")

ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
LOCAL = {"127.0.0.1", "localhost"}


class Offline:
    def __init__(self, context: Any) -> None:
        self.context = context
        self.refused: list[str] = []
        self.errors: list[str] = []

    async def page(self) -> Any:
        page = await self.context.new_page()
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page


@pytest.fixture
async def offline(tmp_path: Path) -> AsyncIterator[Offline]:
    async with playwright.async_playwright() as p:
        # a fresh profile each time (launch_persistent_context owns --user-data-dir)
        context = await p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS)
        browser = Offline(context)

        async def only_this_machine(route: Any) -> None:
            if urlsplit(route.request.url).hostname in LOCAL:
                await route.continue_()
            else:
                browser.refused.append(route.request.url)
                await route.abort("internetdisconnected")

        await context.route("**/*", only_this_machine)
        try:
            yield browser
        finally:
            await context.close()


async def _operations(base_url: str) -> list[tuple[str, str, str]]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        spec = (await client.get("/schema/openapi.json")).json()
    return [(method.upper(), path, op.get("summary", "")) for path, item in spec["paths"].items()
            for method, op in item.items() if method in {"get", "post", "put", "patch", "delete"}]


async def test_swagger_ui_renders_every_operation_offline(base_url: str, offline: Offline) -> None:
    operations = await _operations(base_url)
    page = await offline.page()
    await page.goto(f"{base_url}/schema/swagger")
    await page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    shown = await page.eval_on_selector_all(
        ".opblock-summary", "els => els.map(e => [e.querySelector('.opblock-summary-method').innerText,"
                            " e.querySelector('.opblock-summary-path').getAttribute('data-path')])")
    assert sorted(map(tuple, shown)) == sorted((m, p) for m, p, _ in operations)
    assert await page.locator("button.authorize").count() == 1  # the bearer scheme is declared
    assert offline.refused == [] and offline.errors == []


async def test_scalar_renders_offline(base_url: str, offline: Offline) -> None:
    operations = await _operations(base_url)
    health = next(summary for method, path, summary in operations if (method, path) == ("GET", "/health"))
    page = await offline.page()
    await page.goto(f"{base_url}/schema")
    await page.get_by_text(health).first.wait_for(timeout=30_000)
    assert await page.get_by_text("xiaofei", exact=True).count() >= 1
    assert offline.refused == [] and offline.errors == []


async def test_scalar_offers_nothing_that_is_not_this_projects(base_url: str, offline: Offline) -> None:
    # issue 26 §7: served from 127.0.0.1, Scalar showed its own "Ask AI", "Generate SDK" (an advertisement),
    # "Deploy" and "Share"
    operations = await _operations(base_url)
    health = next(summary for method, path, summary in operations if (method, path) == ("GET", "/health"))
    page = await offline.page()
    await page.goto(f"{base_url}/schema")
    await page.get_by_text(health).first.wait_for(timeout=30_000)
    await page.wait_for_timeout(1000)  # the toolbar and the agent's button come after the operations
    shown = await page.inner_text("body")
    assert [word for word in ("Ask AI", "Generate SDK", "Deploy", "Share") if word in shown] == []
    assert await page.locator(".generate-sdk-button").count() == 0
    assert offline.refused == [] and offline.errors == []
