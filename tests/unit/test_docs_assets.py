"""The docs pages' scripts are the pinned packages' files, served from this server (never a CDN)."""

from __future__ import annotations

import hashlib
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

from xiaofei.http import dashboard_page, docs

ROOT = Path(__file__).resolve().parents[2]


def test_the_vendored_scalar_bundle_is_the_version_the_manifest_names() -> None:
    manifest = docs.scalar_manifest()
    script = (docs.SCALAR_DIR / manifest["file"]).read_bytes()
    assert hashlib.sha256(script).hexdigest() == manifest["sha256"]
    assert f"{manifest['package']}@{manifest['version']}".encode() in script
    assert (docs.SCALAR_DIR / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert manifest["version"] in (docs.SCALAR_DIR / "README.md").read_text(encoding="utf-8")


def test_swagger_ui_comes_from_the_pinned_wheel() -> None:
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pinned = next(re.fullmatch(r"swagger-ui-bundle-v2==([\d.]+)", p.split(";")[0].strip()) for p in pins
                  if p.startswith("swagger-ui-bundle-v2"))
    assert pinned is not None, "swagger-ui-bundle-v2 must be pinned with =="
    assert version("swagger-ui-bundle-v2") == pinned.group(1) == docs.swagger_version()
    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css", "favicon-32x32.png"):
        assert (docs.swagger_dir() / name).is_file(), name


def test_every_url_the_docs_pages_load_is_on_this_server() -> None:
    for plugin in docs.render_plugins():
        urls = [getattr(plugin, a) for a in ("js_url", "css_url", "standalone_preset_js_url") if hasattr(plugin, a)]
        urls += re.findall(r"href='([^']+)'", plugin.favicon)
        assert urls and all(u.startswith(docs.ASSETS + "/") for u in urls), urls


def test_the_vendored_echarts_is_the_release_the_manifest_names() -> None:
    manifest = dashboard_page.echarts_manifest()
    script = (dashboard_page.ECHARTS_DIR / manifest["file"]).read_bytes()
    assert hashlib.sha256(script).hexdigest() == manifest["sha256"]
    assert f'"{manifest["version"]}"'.encode() in script  # the bundle's own version string
    assert (dashboard_page.ECHARTS_DIR / "LICENSE").read_text(encoding="utf-8").lstrip().startswith("Apache License")
    assert "Apache ECharts" in (dashboard_page.ECHARTS_DIR / "NOTICE").read_text(encoding="utf-8")
    assert manifest["version"] in (dashboard_page.ECHARTS_DIR / "README.md").read_text(encoding="utf-8")


def test_every_url_the_dashboard_page_loads_is_on_this_server() -> None:
    html = dashboard_page.page(2025)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls[0] == "/favicon.ico", urls  # the icon every browser asks this server for
    assert len(urls) == 4 and all(u.startswith("/dashboard/") for u in urls[1:]), urls
    assert "http://" not in html and "https://" not in html
