"""Bearer-token authentication, the role guard every route goes through, and county scoping."""

from __future__ import annotations

import logging
import time
from typing import Any
from uuid import UUID, uuid4

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from xiaofei.application.access import hash_token
from xiaofei.domain.access import ORGANISATION_SCOPED_ROLES
from xiaofei.logs import request_id_var
from xiaofei.queries import status
from xiaofei.queries.status import StaleRead

log = logging.getLogger("xiaofei.http")

PUBLIC = "exclude_from_auth"


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    token_id: UUID
    role: str
    counties: frozenset[str]
    organisation_id: str | None

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}"

    def check_county(self, county: str) -> None:
        """County officials and auditors touch only their counties; anything else is refused."""
        if county not in self.counties:
            raise PermissionDeniedException(f"county {county} is outside this token's scope")


def roles(*allowed: str) -> dict[str, Any]:
    """Route ``opt`` declaring who may call it; a route without it is refused to everyone."""
    return {"roles": frozenset(allowed)}


public: dict[str, Any] = {PUBLIC: True}


async def _lookup(pool: Any, token_hash: str) -> Any:
    return await pool.fetchrow(
        "SELECT token_id, role, counties, organisation_id, revoked_at FROM rm_access.tokens WHERE token_hash = $1",
        token_hash)


class BearerAuth(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthorizedException("send 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"})
        pool = connection.app.state.pool
        token_hash = hash_token(secret.strip())
        row = await _lookup(pool, token_hash)
        if row is None:
            # A token issued a moment ago may not be projected yet: wait (briefly) for the access model.
            head = await status.head(pool, connection.app.state.events_table)
            try:
                await status.wait_for(pool, ("access",), head, 2.0)
            except StaleRead:
                pass
            row = await _lookup(pool, token_hash)
        if row is None or row["revoked_at"] is not None:
            raise NotAuthorizedException("unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
        principal = Principal(token_id=row["token_id"], role=row["role"], counties=frozenset(row["counties"]),
                              organisation_id=row["organisation_id"])
        return AuthenticationResult(user=principal, auth=row["token_id"])


async def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if handler.opt.get(PUBLIC) or connection.scope["path"].startswith("/schema"):
        return
    allowed = handler.opt.get("roles")
    if not allowed:
        raise PermissionDeniedException("this endpoint declares no roles, so nobody may call it")
    principal: Principal = connection.user
    if principal.role not in allowed:
        raise PermissionDeniedException(f"role {principal.role} may not call this endpoint")
    county = connection.path_params.get("county")
    if county is not None:
        # Before the body is even read: nothing about another county is parsed, looked up or written.
        principal.check_county(county)
    org = connection.path_params.get("org")
    if org is not None:
        if principal.role in ORGANISATION_SCOPED_ROLES:
            if principal.organisation_id != org:
                raise PermissionDeniedException(f"organisation {org} is outside this token's scope")
        else:
            org_county = await connection.app.state.pool.fetchval(
                "SELECT county FROM rm_employment.organisations WHERE credit_code = $1", org)
            if org_county is None:
                raise NotFoundException(f"no organisation {org}")
            principal.check_county(org_county)


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Give each request an id (``X-Request-ID`` in, or a new one), echo it, and log one line per request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:64]
        rid = incoming if incoming.replace("-", "").isalnum() else uuid4().hex
        request_id_var.set(rid)
        started = time.perf_counter()
        seen: dict[str, int] = {"status": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        except NotAuthorizedException:
            seen["status"] = 401
            raise
        finally:
            user = scope.get("user")
            log.info("request", extra={
                "method": scope.get("method"), "path": scope.get("path"), "status": seen["status"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "actor": getattr(user, "actor", None)})

    return middleware
