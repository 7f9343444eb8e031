"""The dashboard page (/dashboard) in a real browser that may reach nothing but this machine.

Debian's Chromium driven by Playwright (as the offline docs test does): log in with a county official's token,
read the county year of the dashboard scene (tests/e2e/test_dashboard_api.py), and check that the headline
figures, the monthly sales chart, the township table and the flagged-household list show what the JSON API
answers; click the flagged household and see its income lines; export the list. No request leaves the machine,
the token never appears in a URL, and the console shows no error. Screenshots go to tests/artifacts/dashboard/."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.test_dashboard_api import _scene
from tests.e2e.test_docs_offline import ARGS, CHROMIUM, LOCAL
from xiaofei.bootstrap import Services
from xiaofei.http import dashboard_page

try:
    from playwright import async_api as playwright
except ImportError:  # pragma: no cover - the test extra installs it
    playwright = None
needs_a_browser = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or playwright is None,
    reason="no chromium (`apt-get install -y chromium`) or no playwright (the test extra): the page test needs both")

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "dashboard"


class Browser:
    def __init__(self, context: Any) -> None:
        self.context = context
        self.refused: list[str] = []
        self.requested: list[str] = []
        self.console: list[str] = []

    async def page(self) -> Any:
        page = await self.context.new_page()
        page.on("pageerror", lambda e: self.console.append(f"exception: {e}"))
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                else None)
        return page


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    async with playwright.async_playwright() as p:
        context = await p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=ARGS, accept_downloads=True,
            viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        seen = Browser(context)

        async def only_this_machine(route: Any) -> None:
            seen.requested.append(route.request.url)
            if urlsplit(route.request.url).hostname in LOCAL:
                await route.continue_()
            else:
                seen.refused.append(route.request.url)
                await route.abort("internetdisconnected")

        await context.route("**/*", only_this_machine)
        try:
            yield seen
        finally:
            await context.close()


def _yuan(fen: int | None) -> str:
    if fen is None:
        return "—"
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def _shown(kind: str, value: Any) -> str:
    if kind == "yuan":
        return _yuan(value)
    if value is None:
        return "—"
    return f"{value:,}" if kind == "int" else str(value)


def _pick(obj: Any, key: str) -> Any:
    for part in key.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


async def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


async def test_the_served_echarts_is_the_vendored_release(http: httpx.AsyncClient) -> None:
    manifest = dashboard_page.echarts_manifest()
    r = await http.get(f"/dashboard/echarts/{manifest['file']}", params={"v": manifest["version"]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert hashlib.sha256(r.content).hexdigest() == manifest["sha256"]
    assert "max-age=31536000" in r.headers["cache-control"] and "public" in r.headers["cache-control"]
    page = await http.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert f"/dashboard/echarts/{manifest['file']}?v={manifest['version']}" in page.text
    assert "认定产品" in page.text and "Certified products" in page.text


@needs_a_browser
async def test_the_dashboard_page_shows_the_apis_figures_and_drills_down(
        http: httpx.AsyncClient, services: Services, county_code: str, base_url: str, browser: Browser) -> None:
    number, official = await _scene(http, services, county_code)
    token = official["Authorization"].removeprefix("Bearer ")
    fresh = {"min_position": services.app.head_position()}
    board = (await http.get(f"/counties/{county_code}/dashboard", headers=official,
                            params={"year": 2025, **fresh})).json()
    townships = (await http.get(f"/counties/{county_code}/dashboard/areas", headers=official,
                                params={"year": 2025, "level": "township", **fresh})).json()["items"]
    flagged = (await http.get(f"/counties/{county_code}/household-incomes", headers=official,
                              params={"year": 2025, "flag": "below_monitoring_threshold", **fresh})).json()["items"]
    household = (await http.get(f"/counties/{county_code}/households/{number}/income", headers=official,
                                params={"year": 2025, "limit": 500, **fresh})).json()
    assert board["headline"]["sales_fen"] == 50_000 and [h["household_number"] for h in flagged] == [number]

    page = await browser.page()
    await page.goto(f"{base_url}/dashboard")
    await page.wait_for_selector("body[data-state=login]")
    await _shot(page, "1-login")
    await page.fill("#token", token)
    await page.click("#login-button")
    await page.wait_for_selector("body[data-state=ready]", timeout=30_000)
    assert await page.eval_on_selector("#county", "e => e.value") == county_code
    await page.select_option("#year", "2025")
    await page.wait_for_selector("body[data-state=ready]", timeout=30_000)

    cards = await page.eval_on_selector_all(
        "#headline .card", "cs => cs.map(c => [c.dataset.key, c.dataset.kind, c.querySelector('.value').textContent])")
    assert len(cards) == len(dashboard_page.CARDS)
    for key, kind, text in cards:
        assert text == _shown(kind, _pick(board["headline"], key)), key
    shown = dict((key, text) for key, _, text in cards)
    assert shown["sales_fen"] == "500.00" and shown["households_flagged.below_monitoring_threshold"] == "1"

    sales = await page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector('#chart-sales .canvas')).getOption().series[0].data")
    by_month = {m["month"]: m["sales_fen"] for m in board["months"]}
    assert sales == [by_month.get(f"2025-{m:02d}", 0) / 100 for m in range(1, 13)]
    bands = await page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector('#chart-bands .canvas')).getOption().series[0].data")
    assert bands == [board["income"][k] for k in ("below_poverty_line", "below_monitoring_threshold",
                                                  "above_threshold", "no_member")]

    rows = await page.eval_on_selector_all("#townships tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))")
    expected = [[_shown(kind, _pick(t, key)) for key, _, kind in dashboard_page.TOWNSHIP_COLUMNS] for t in townships]
    assert rows == expected and len(rows) >= 2
    listed = await page.eval_on_selector_all("#flagged tbody tr", "rs => rs.map(r => r.dataset.household)")
    assert listed == [number]
    await _shot(page, "2-dashboard")

    await page.click(f"#flagged tbody tr[data-household='{number}']")
    await page.wait_for_selector(f"#household[data-number='{number}']:not([hidden])")
    figures = dict(await page.eval_on_selector_all(
        "#household-figures .card", "cs => cs.map(c => [c.dataset.key, c.querySelector('.value').textContent])"))
    assert figures["per_capita_net_fen"] == "4,558.33" == _yuan(household["per_capita_net_fen"])
    lines = await page.eval_on_selector_all(
        "#household-lines tbody tr", "rs => rs.map(r => [r.cells[0].textContent, r.cells[2].textContent,"
                                     " r.cells[r.cells.length - 1].textContent, r.cells[r.cells.length - 1].title])")
    # by month (the yearly declaration, which has none, last), each line's kind and event in words, its key the tooltip
    by_month = sorted(household["lines"], key=lambda line: (line["month"] or "9999", line["line_key"]))
    assert [key for _, _, _, key in lines] == [line["line_key"] for line in by_month] and len(lines) == 28
    assert [month for month, _, _, _ in lines] == [line["month"] or "—" for line in by_month]
    kinds = {line["line_key"]: line["kind"] for line in by_month}
    assert {kind for _, kind, _, _ in lines} >= {"工资（工资条） Wages (wage slip)",
                                                 "申报：低保金 Declared: minimum living allowance"}
    for _, kind, event, key in lines:
        zh, en = dashboard_page.KINDS[kinds[key]]
        assert kind == f"{zh} {en}" and "declared_" not in kind, (kind, key)
        assert event and key not in event and not event.startswith(("slip:", "subsidy:", "payment:")), event
    assert "银行核验的工资条 Bank-verified wage slip · 实发 net 600.00" in [event for _, _, event, _ in lines]
    await _shot(page, "3-household")

    async with page.expect_download() as download:
        await page.click("#export-xlsx")
    saved = await download.value
    assert saved.suggested_filename == f"收入监测-{county_code}-2025-below_monitoring_threshold.xlsx"

    assert browser.refused == [] and browser.console == [], (browser.refused, browser.console)
    assert not [u for u in browser.requested if token in u]
    assert await page.evaluate("() => sessionStorage.getItem('xiaofei.dashboard.token')") == token
    await page.click("#logout")
    assert await page.evaluate("() => sessionStorage.getItem('xiaofei.dashboard.token')") is None
