"""``create_app()``: the Litestar application over already-built services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig

from xiaofei import __version__
from xiaofei.bootstrap import Services
from xiaofei.http.auth import PUBLIC, BearerAuth, FailedAuthLimiter, public, request_id_middleware, role_guard
from xiaofei.http.errors import EXCEPTION_HANDLERS
from xiaofei.http import (area_routes, claims_routes, consumption, dashboard_exports, dashboard_page,
                          dashboard_routes, docs, employment_routes, income_exports, income_routes, national_routes,
                          template_routes)
from xiaofei.http.consistency import wait_preference_middleware
from xiaofei.http.newline import json_newline_middleware
from xiaofei.http.openapi import complete
from xiaofei.http.read_cache import ReadCache
from xiaofei.http.routes import CONTROLLERS


def create_app(services: Services) -> Litestar:
    """Build the HTTP app. The asyncpg read pool opens and closes with the app's lifespan."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # connect within 3 s and give up on a statement after 30 s: an outage is a quick 503, never a hung request
        pool = await asyncpg.create_pool(services.database.dsn, min_size=1, max_size=services.settings.db_pool_size,
                                         timeout=3, command_timeout=30)
        app.state.pool = pool
        replica = national = None
        try:
            if services.settings.read_replica_url:
                # query endpoints read from the replica (routes._fresh_stamped); commands and tokens stay here
                # min_size 0: the API starts (and takes commands) while the replica is down; /ready says so
                replica = await asyncpg.create_pool(services.settings.read_replica_url, min_size=0,
                                                    max_size=services.settings.db_pool_size, timeout=3,
                                                    command_timeout=30)
            app.state.read_pool = replica or pool
            if services.settings.national_reporting_url:
                national = await asyncpg.create_pool(services.settings.national_reporting_url, min_size=0,
                                                     max_size=services.settings.db_pool_size, timeout=3,
                                                     command_timeout=30)
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
    app.state.services = services
    app.state.events_table = events_table
    app.state.auth_limiter = FailedAuthLimiter(services.settings.auth_failures_per_minute)
    app.state.read_cache = ReadCache()
    return app


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


__all__ = ["AppConfig", "create_app", "worker_app"]
