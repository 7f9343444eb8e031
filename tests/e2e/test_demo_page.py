"""The demo county on the dashboard page, as a county IT person first sees it (issue 26 §1–5): a real
`xiaofei serve --demo` on a database of its own, its page driven in headless Chromium with the county official token
the demo printed. On the year the page opens on (the current year, Asia/Shanghai) every headline card of both routes
is non-zero, households are flagged and drill down to lines labelled in words and sorted by month, townships are
named, and the console shows no error; a year before the demo says it has no data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _drop_database, _free_port, _fresh_database
from tests.e2e.test_dashboard_page import Browser, _shot, browser, needs_a_browser  # noqa: F401 (a fixture)
from xiaofei.domain.clock import business_today
from xiaofei.http import dashboard_page

CONSUMPTION = ("sales_fen", "certified_products", "certified_sellers", "households_reached", "attributed_fen")
EMPLOYMENT = ("workshops_certified", "workers_total", "workers_poor", "wages_fen", "average_wage_fen",
              "subsidies_entitled_fen", "subsidies_paid_fen")


@pytest.fixture
def real_clock() -> None:
    """This test talks to its own server process: no in-process services (overrides the e2e autouse fixture)."""


@pytest.fixture
def demo_server(pg_server: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(base URL, county official token) of `xiaofei serve --demo` on a fresh database."""
    name, url = _fresh_database(pg_server)
    port = _free_port()
    env = {**os.environ, "XIAOFEI_DATABASE_URL": url, "XIAOFEI_PORT": str(port),
           "XIAOFEI_DATA_DIR": str(tmp_path / "data"), "XIAOFEI_LOG_LEVEL": "WARNING",
           "XIAOFEI_READ_WAIT_SECONDS": "30", "PYTHONUNBUFFERED": "1"}
    for key in ("XIAOFEI_SECRET_KEY", "XIAOFEI_WORKERS", "XIAOFEI_PROVINCE"):
        env.pop(key, None)
    stderr = tmp_path / "serve.stderr"
    printed: list[str] = []
    try:
        with stderr.open("w", encoding="utf-8") as errors, subprocess.Popen(
                [sys.executable, "-m", "xiaofei.cli", "serve", "--demo"], env=env, stdout=subprocess.PIPE,
                stderr=errors, text=True, encoding="utf-8") as proc:
            stdout = proc.stdout
            assert stdout is not None
            reader = threading.Thread(target=lambda: [printed.append(line) for line in stdout], daemon=True)
            reader.start()
            try:
                deadline = time.monotonic() + 240
                while not any(line.startswith("xiaofei on http://") for line in printed):
                    assert proc.poll() is None, f"serve exited: {printed}\n{stderr.read_text(encoding='utf-8')}"
                    assert time.monotonic() < deadline, f"the demo did not load: {printed}"
                    time.sleep(0.2)
                token = next(m.group(1) for line in printed
                             if (m := re.search(r"demo county_official token for 360724 \(shown once\): (\S+)", line)))
                base = f"http://127.0.0.1:{port}"
                while True:
                    try:
                        if httpx.get(f"{base}/health", timeout=10).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    assert proc.poll() is None and time.monotonic() < deadline, "serve did not answer /health"
                    time.sleep(0.2)
                yield base, token
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=30)
                reader.join(timeout=10)
    finally:
        _drop_database(pg_server, name)


async def _cards(page: Any) -> dict[str, str]:
    return dict(await page.eval_on_selector_all(
        "#headline .card", "cs => cs.map(c => [c.dataset.key, c.querySelector('.value').textContent])"))


@needs_a_browser
async def test_the_demo_county_shows_both_routes_flagged_households_and_names_on_the_default_year(
        demo_server: tuple[str, str], browser: Browser) -> None:  # noqa: F811 (the fixture imported above)
    base, token = demo_server
    year = business_today().year
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        board = (await http.get("/counties/360724/dashboard", params={"year": year})).json()
    assert board["headline"]["as_of_month"] == f"{year}-{business_today().month:02d}", board["headline"]

    page = await browser.page()
    await page.goto(f"{base}/dashboard")
    await page.wait_for_selector("body[data-state=login]")
    await page.fill("#token", token)
    await page.click("#login-button")
    await page.wait_for_selector("body[data-state=ready]", timeout=60_000)
    assert await page.eval_on_selector("#year", "e => e.value") == str(year)  # the page opens on this year
    assert await page.eval_on_selector("#county", "e => e.value") == "360724"
    await _shot(page, "demo-1-dashboard")

    # every headline card of both routes is non-zero; households are flagged
    cards = await _cards(page)
    for key in CONSUMPTION + EMPLOYMENT:
        assert cards[key] not in ("0", "0.00", "—"), (key, cards)
    flagged = [int(cards[f"households_flagged.{f}"].replace(",", "")) for f in dict(dashboard_page.FLAGS)]
    assert sum(flagged) > 0, cards
    assert await page.eval_on_selector("#no-data", "e => e.hidden")
    assert await page.eval_on_selector_all("figure.chart .no-data", "ps => ps.every(p => p.hidden)")
    # the poor-workers card says what it counts (point 5)
    poor = await page.eval_on_selector("#headline .card[data-key=workers_poor]",
                                       "c => [c.querySelector('.label').textContent, c.title]")
    assert "连续务工满规定月数" in poor[0] and "consecutive months" in poor[0], poor
    assert "workshop.min_employment_months" in poor[1] and "3" in poor[1], poor

    # townships are named beside their codes
    townships = await page.eval_on_selector_all("#townships tbody tr",
                                                "rs => rs.map(r => [r.cells[0].textContent, r.cells[1].textContent])")
    assert len(townships) >= 2 and all(re.fullmatch(r"360724\d{3}", code) for code, _ in townships), townships
    assert all(name.endswith(("镇", "乡")) for _, name in townships), townships
    assert ["360724100", "东山镇"] in townships

    # the flagged list (the first flag with households) names villages and drills down
    flag = next(f for f, n in zip(dict(dashboard_page.FLAGS), flagged, strict=True) if n)
    await page.select_option("#flag", flag)
    await page.wait_for_function("() => document.querySelectorAll('#flagged tbody tr').length > 0")
    first = await page.eval_on_selector("#flagged tbody tr", "r => [r.dataset.household, r.cells[2].textContent]")
    assert first[1].endswith("村"), first
    await page.click(f"#flagged tbody tr[data-household='{first[0]}']")
    await page.wait_for_selector(f"#household[data-number='{first[0]}']:not([hidden])")
    lines = await page.eval_on_selector_all(
        "#household-lines tbody tr",
        "rs => rs.map(r => [...r.cells].map(c => c.textContent).concat([r.cells[5].title]))")
    assert lines, "the flagged household has no income lines"
    months = [line[0] for line in lines]
    assert months == sorted(months), months  # sorted by month (point 4)
    for month, _, kind, _, _, event, key in lines:
        assert re.search(r"[\u4e00-\u9fff]", kind) and re.search(r"[A-Za-z]", kind), kind  # 中文 English
        assert kind.split(" ")[0] not in dict(dashboard_page.KINDS), kind  # not the code
        assert event and not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", event), event  # words, not a UUID
        assert re.search(r"[\u4e00-\u9fff]", event) and key, (event, key)
    await _shot(page, "demo-2-household")

    # a year before the demo says it has no data, instead of blank charts
    await page.select_option("#year", str(year - 2))
    await page.wait_for_selector("body[data-state=ready]", timeout=30_000)
    await page.wait_for_selector("#no-data:not([hidden])")
    assert "No data" in await page.eval_on_selector("#no-data", "e => e.textContent")
    assert await page.eval_on_selector_all("figure.chart .no-data", "ps => ps.every(p => !p.hidden)")
    await _shot(page, "demo-3-empty-year")

    assert browser.refused == [] and browser.console == [], (browser.refused, browser.console)
