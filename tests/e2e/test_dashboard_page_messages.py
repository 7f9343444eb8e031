"""The dashboard page speaks both languages in every message it shows, and a browser's /favicon.ico is found
(issue 26 §6: an employer's token got "role employer may not call this endpoint (403)" in English only, and every
page load logged a 404)."""

from __future__ import annotations

import re

import httpx

from tests.e2e.test_dashboard_page import Browser, browser, needs_a_browser  # noqa: F401 - browser is a fixture
from tests.e2e.test_employment_api import build_scene
from xiaofei.bootstrap import Services
from xiaofei.http import dashboard_page

SCRIPT = (dashboard_page.PAGE_DIR / "dashboard.js").read_text(encoding="utf-8")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{3,}")


def _bilingual(text: str) -> bool:
    return bool(CHINESE.search(text) and ENGLISH.search(text))


def test_every_message_the_pages_script_can_show_is_in_chinese_and_english() -> None:
    # what status(…) shows, what an Error carries to it, and what a refusal from the API is told as
    messages = re.findall(r"status\('([^']+)'", SCRIPT) + re.findall(r"new Error\('([^']+)'", SCRIPT)
    refusals = re.search(r"var REFUSALS = \{(.*?)\};", SCRIPT, re.S)
    assert refusals, "the script no longer tells refusals by status"
    messages += re.findall(r"\d{3}: '([^']+)'", refusals.group(1))
    messages += re.findall(r"status >= 500 \? '([^']+)' : '([^']+)'", SCRIPT)[0]
    assert len(messages) >= 12, messages
    assert [m for m in messages if not _bilingual(m)] == []
    # and no message shows the API's English detail on its own
    assert "problem.detail || response.statusText" not in SCRIPT


async def test_the_favicon_is_served(http: httpx.AsyncClient) -> None:
    r = await http.get("/favicon.ico")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/vnd.microsoft.icon"
    assert r.content[:4] == b"\x00\x00\x01\x00" and r.content == dashboard_page.FAVICON.read_bytes()
    page = await http.get("/dashboard")
    assert '<link rel="icon" href="/favicon.ico">' in page.text


@needs_a_browser
async def test_an_employers_token_is_told_in_both_languages_and_the_icon_loads(
        http: httpx.AsyncClient, services: Services, county_code: str, admin_token: str, base_url: str,
        browser: Browser) -> None:
    scene = await build_scene(http, services, county_code, admin_token)
    employer = scene.employer["Authorization"].removeprefix("Bearer ")
    page = await browser.page()
    await page.goto(f"{base_url}/dashboard")
    await page.wait_for_selector("body[data-state=login]")
    await page.fill("#token", employer)
    await page.click("#login-button")
    await page.wait_for_selector("#status.error", timeout=30_000)
    shown = await page.text_content("#status")
    assert shown.startswith("登录失败 Could not log in: 此令牌无权查看 This token may not read this (403"), shown
    assert _bilingual(shown)
    # the page's icon, drawn as a browser draws it (a headless one asks for none by itself): a 32×32 image. The
    # test's filter of requests is lifted for it (the URL is this server's): Playwright fails a routed /favicon.ico
    await browser.context.unroute("**/*")
    width = await page.evaluate("""() => new Promise(done => {
        const icon = new Image();
        icon.onload = () => done(icon.naturalWidth);
        icon.onerror = () => done(-1);
        icon.src = document.querySelector('link[rel=icon]').href;
    })""")
    assert width == 32, width
    # the one console error is the browser's own line for the refused read (403), none is a missing file
    assert [c for c in browser.console if "403" not in c] == [], browser.console
