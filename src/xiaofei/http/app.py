"""``create_app()``: the Litestar application over already-built services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig

from xiaofei import __version__
from xiaofei.bootstrap import Services
from xiaofei.config import Settings
from xiaofei.http.auth import PUBLIC, BearerAuth, FailedAuthLimiter, public, request_id_middleware, role_guard
from xiaofei.http.errors import EXCEPTION_HANDLERS
from xiaofei.http import (area_routes, claims_routes, consumption, dashboard_exports, dashboard_page,
                          dashboard_routes, docs, employment_routes, income_exports, income_routes, national_routes,
                          template_routes)
from xiaofei.http.consistency import wait_preference_middleware
from xiaofei.http.protocol import HTTP_PROTOCOL
from xiaofei.http.newline import json_newline_middleware
from xiaofei.http.openapi import complete
from xiaofei.http.pools import command_timeout_var, open_pool
from xiaofei.http.read_cache import ReadCache
from xiaofei.http.routes import CONTROLLERS


def create_app(services: Services) -> Litestar:
    """Build the HTTP app. The asyncpg read pool opens and closes with the app's lifespan."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # every wait on the database is bounded by the settings (http/pools.py): an outage is a 503, never a hang
        settings = services.settings
        pool = await open_pool(services.database.dsn, settings, min_size=1)
        app.state.pool = pool
        replica = national = None
        try:
            if settings.read_replica_url:
                # query endpoints read from the replica (routes._fresh_stamped); commands and tokens stay here
                # min_size 0: the API starts (and takes commands) while the replica is down; /ready says so
                replica = await open_pool(settings.read_replica_url, settings, min_size=0)
            app.state.read_pool = replica or pool
            if settings.national_reporting_url:
                national = await open_pool(settings.national_reporting_url, settings, min_size=0)
            app.state.national_pool = national
            yield
        finally:
            for extra in (replica, national):
                if extra is not None:
                    await extra.close()
            await pool.close()

    recorder = services.app.recorder
    events_table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'  # type: ignore[attr-defined]
    app = Litestar(
        route_handlers=[*CONTROLLERS, *employment_routes.CONTROLLERS, *claims_routes.CONTROLLERS,
                        *template_routes.CONTROLLERS, *consumption.CONTROLLERS,
                        *income_routes.CONTROLLERS, *income_exports.CONTROLLERS, *dashboard_routes.CONTROLLERS,
                        *dashboard_exports.CONTROLLERS, *national_routes.CONTROLLERS, *dashboard_page.CONTROLLERS, *area_routes.CONTROLLERS,
                        *dashboard_page.asset_routers(),
                        *docs.asset_routers(public)],
        lifespan=[lifespan],
        middleware=[wait_preference_middleware,
                    DefineMiddleware(BearerAuth, exclude_from_auth_key=PUBLIC, exclude=["^/schema"])],
        guards=[role_guard],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=services.settings.max_upload_bytes,
        logging_config=None,
        openapi_config=OpenAPIConfig(
            title="xiaofei",
            version=__version__,
            description="Event-sourced consumption (消费帮扶) and employment (就业帮扶) assistance bookkeeping.",
            path="/schema",
            render_plugins=docs.render_plugins(),
        ),
    )
    complete(app)
    # Outside the router, not per route: a 404 (no route) or 405 (no such method) is answered before any route
    # middleware runs, and it carries the request id too; so does every JSON answer's final newline.
    app.asgi_handler = request_id_middleware(json_newline_middleware(app.asgi_handler))
    handler, command_timeout = app.asgi_handler, services.settings.db_command_timeout

    async def with_command_timeout(scope: Any, receive: Any, send: Any) -> None:
        command_timeout_var.set(command_timeout)  # read by http/pools.run_command, for this app's requests
        await handler(scope, receive, send)

    app.asgi_handler = with_command_timeout
    app.state.services = services
    app.state.events_table = events_table
    app.state.auth_limiter = FailedAuthLimiter(services.settings.auth_failures_per_minute)
    app.state.read_cache = ReadCache()
    return app


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves the app. Forwarded headers are believed only from ``XIAOFEI_FORWARDED_ALLOW_IPS``: by
    default uvicorn believes them from 127.0.0.1, so any local client (or a proxy that passes the header on
    unchecked) could choose its address per request."""
    trusted = settings.forwarded_allow_ips
    return {"host": settings.host, "port": settings.port, "log_config": None, "access_log": False, "lifespan": "on",
            "proxy_headers": trusted is not None, "forwarded_allow_ips": trusted or "", "http": HTTP_PROTOCOL}


def worker_app() -> Litestar:
    """Factory for each HTTP worker process when ``XIAOFEI_WORKERS`` > 1 (projectors run in the parent)."""
    from xiaofei import logs
    from xiaofei.bootstrap import build
    from xiaofei.config import load_settings

    settings = load_settings(run_projectors=False)
    logs.configure(settings.log_level)
    services = build(settings)
    app = create_app(services)
    app.on_shutdown.append(lambda: services.close())
    return app


__all__ = ["AppConfig", "create_app", "uvicorn_options", "worker_app"]
