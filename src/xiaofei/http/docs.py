"""The API docs pages (Scalar at ``/schema``, Swagger UI at ``/schema/swagger``) with their scripts served from
the package, so they work with no network: Swagger UI from the pinned ``swagger-ui-bundle-v2`` wheel (the
``swagger-ui-dist`` files), Scalar from the standalone bundle vendored in ``static/scalar`` (see its README)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin, ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

ASSETS = "/schema/assets"
SCALAR_OPTIONS: dict[str, object] = {
    # Scalar's default fonts come from its own CDN; the system fonts do offline
    "withDefaultFonts": False,
    # Scalar's own services, none of them this project's, shown by default on localhost: the developer tools
    # ("Share", "Deploy" on Scalar's hosting, "Generate SDK"), the AI agent ("Ask AI") and the MCP generator
    "showDeveloperTools": "never",
    "agent": {"disabled": True},
    "mcp": {"disabled": True},
}
"""Scalar's configuration (``@scalar/api-reference`` 1.76's names; see static/scalar/README.md)."""
SCALAR_DIR = Path(__file__).resolve().parent / "static" / "scalar"


@cache
def swagger_dir() -> Path:
    """The ``swagger-ui-<version>`` directory inside the installed swagger-ui-bundle-v2 package."""
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


def swagger_version() -> str:
    return swagger_dir().name.removeprefix("swagger-ui-")


@cache
def scalar_manifest() -> dict[str, str]:
    return dict(json.loads((SCALAR_DIR / "manifest.json").read_text(encoding="utf-8")))


def swagger_prefix() -> str:
    return f"{ASSETS}/swagger-ui-{swagger_version()}"


def scalar_prefix() -> str:
    return f"{ASSETS}/scalar-{scalar_manifest()['version']}"


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """Scalar (the default page, ``/schema``) and Swagger UI (``/schema/swagger``), every URL on this server."""
    sw, sc = swagger_prefix(), scalar_prefix()
    favicon = f"<link rel='icon' type='image/png' href='{sw}/favicon-32x32.png'>"
    return [
        ScalarRenderPlugin(js_url=f"{sc}/{scalar_manifest()['file']}", css_url=f"{sc}/page.css", favicon=favicon,
                           options=SCALAR_OPTIONS),
        SwaggerRenderPlugin(path="/swagger", js_url=f"{sw}/swagger-ui-bundle.js", css_url=f"{sw}/swagger-ui.css",
                            standalone_preset_js_url=f"{sw}/swagger-ui-standalone-preset.js", favicon=favicon),
    ]


def asset_routers(public_opt: dict[str, object]) -> list[Router]:
    """Public static routes for the docs' files. Each URL carries its version, so browsers may keep them a day."""
    cache_control = CacheControlHeader(max_age=86400, public=True)
    return [
        create_static_files_router(path=swagger_prefix(), directories=[swagger_dir()], name="swagger-ui-assets",
                                   opt=dict(public_opt), cache_control=cache_control, include_in_schema=False),
        create_static_files_router(path=scalar_prefix(), directories=[SCALAR_DIR], name="scalar-assets",
                                   opt=dict(public_opt), cache_control=cache_control, include_in_schema=False),
    ]
