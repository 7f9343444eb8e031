"""Bearer-token authentication, the role guard every route goes through, and county scoping."""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any
from uuid import UUID, uuid4

import msgspec
from litestar.connection import ASGIConnection
from eventsourcing.persistence import StoredEvent
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from xiaofei.application.access import hash_token
from xiaofei.application.tables import CONTROL_CHARACTERS
from xiaofei.domain import ids
from xiaofei.domain.access import ORGANISATION_SCOPED_ROLES, PROVINCE_SCOPED_ROLES, ApiToken
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
        """County officials and auditors touch only their counties, a province official the counties of its
        provinces; anything else is refused."""
        if county not in self.counties and not (self.role in PROVINCE_SCOPED_ROLES
                                                 and f"{county[:2]}0000" in self.counties):
            raise PermissionDeniedException(f"county {county} is outside this token's scope")

    def check_parameter_scope(self, scope: str) -> None:
        """Who records parameters of a scope wider than a county: an admin any (national, province, city); a
        province official its own province's (xx0000, as its token names it) and no other — not the nation, not
        another province, not a city or county of its own (county officials record their county's)."""
        if self.role in PROVINCE_SCOPED_ROLES and scope not in self.counties:
            raise PermissionDeniedException(
                f"scope {scope} is outside this token's scope: a province official records the parameters of its "
                f"own province only ({', '.join(sorted(self.counties))})")


def roles(*allowed: str) -> dict[str, Any]:
    """Route ``opt`` declaring who may call it; a route without it is refused to everyone."""
    return {"roles": frozenset(allowed)}


public: dict[str, Any] = {PUBLIC: True}


async def _lookup(pool: Any, token_hash: str) -> Any:
    return await pool.fetchrow("SELECT token_id FROM rm_access.tokens WHERE token_hash = $1", token_hash)


async def _aggregate_events(connection: ASGIConnection[Any, Any, Any, Any], token_id: UUID) -> list[Any]:
    """The events of one aggregate (a token's, or a buyer's), straight from the event store."""
    rows = await connection.app.state.pool.fetch(
        f"SELECT originator_version, topic, state FROM {connection.app.state.events_table}"
        " WHERE originator_id = $1 ORDER BY originator_version", token_id)
    mapper = connection.app.state.services.app.mapper
    return [mapper.to_domain_event(StoredEvent(token_id, r["originator_version"], r["topic"], bytes(r["state"])))
            for r in rows]


async def find_token(connection: ASGIConnection[Any, Any, Any, Any], token_hash: str, *, wait: bool = True
                     ) -> Principal | None:
    """The token as its own events say now: never a projection that may lag, so a revocation holds from the very
    next request, even with the access projector stopped. ``wait``: an unknown hash waits (2 s at most) for the
    access model before it is called unknown; an address past the failed-login limit does not get that wait."""
    events = await _aggregate_events(connection, ids.api_token_id(token_hash))
    if not events:
        # Tokens issued before their id followed their hash: the access model knows the id (a token issued a
        # moment ago may not be projected yet: wait briefly), the events still decide.
        pool = connection.app.state.pool
        row = await _lookup(pool, token_hash)
        if row is None and wait:
            head = await status.head(pool, connection.app.state.events_table)
            try:
                await status.wait_for(pool, ("access",), head, 2.0)
            except StaleRead:
                pass
            row = await _lookup(pool, token_hash)
        if row is None:
            return None
        events = await _aggregate_events(connection, row["token_id"])
    issued = events[0] if events else None
    if not isinstance(issued, ApiToken.Issued) or issued.token_hash != token_hash:
        return None
    if any(isinstance(e, ApiToken.Revoked) for e in events):
        return None
    return Principal(token_id=issued.originator_id, role=issued.role, counties=frozenset(issued.counties),
                     organisation_id=issued.organisation_id)


class FailedAuthLimiter:
    """Failed authentications per client address in a sliding minute; past the limit, the address is refused."""

    def __init__(self, per_minute: int, clock: Any = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.failures: dict[str, deque[float]] = {}

    def _recent(self, address: str) -> deque[float]:
        window = self.failures.setdefault(address, deque())
        now = self.clock()
        while window and window[0] <= now - 60:
            window.popleft()
        if not window:
            self.failures.pop(address, None)
            return deque()
        return window

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None when it may now."""
        window = self._recent(address)
        if len(window) < self.per_minute:
            return None
        return max(1, int(window[0] + 60 - self.clock()) + 1)

    def failed(self, address: str) -> None:
        self._recent(address)
        self.failures.setdefault(address, deque()).append(self.clock())


def _refused(limiter: FailedAuthLimiter, address: str, detail: str) -> HTTPException:
    """A failed authentication: 429 while the address is over its limit, else counted and 401."""
    wait = limiter.retry_after(address)
    if wait is not None:
        return TooManyRequestsException(f"too many failed authentications from this address; try again in {wait} s",
                                        headers={"Retry-After": str(wait)})
    limiter.failed(address)
    return NotAuthorizedException(detail, headers={"WWW-Authenticate": "Bearer"})


class BearerAuth(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        # The address is the connection's own, or the one a trusted proxy forwarded (XIAOFEI_FORWARDED_ALLOW_IPS:
        # uvicorn rewrites it only for those proxies). A valid token is never refused by the limiter: many users
        # share one proxy's address, and one who mistyped must not lock out the rest (issue 23.6).
        limiter: FailedAuthLimiter = connection.app.state.auth_limiter
        address = connection.client.host if connection.client else "unknown"
        header = connection.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _refused(limiter, address, "send 'Authorization: Bearer <token>'")
        # past the limit, a token is still looked up (a valid one passes) but an unknown one waits for nothing
        principal = await find_token(connection, hash_token(secret.strip()),
                                     wait=limiter.retry_after(address) is None)
        if principal is None:
            raise _refused(limiter, address, "unknown or revoked token")
        return AuthenticationResult(user=principal, auth=principal.token_id)


async def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if connection.scope["path"].startswith("/schema"):
        return
    declared = handler.opt.get("query_names")
    if declared is not None and not handler.opt.get(PUBLIC):  # a monitor's cache-buster on /health is harmless
        unknown = sorted(set(connection.query_params) - declared)
        if unknown:
            # ?montth=2024-03 would otherwise answer every month: a typo must not silently widen a read
            raise ValidationException(f"unknown query parameter {unknown[0]!r}", extra=[
                {"key": name, "message": "unknown query parameter", "source": "query"} for name in unknown])
    values = [*connection.query_params.multi_items(), *connection.path_params.items()]
    bad = sorted({name for name, value in values if isinstance(value, str) and CONTROL_CHARACTERS.search(value)})
    if bad:
        # no query or path value reaches a query with a control character (PostgreSQL cannot even take U+0000)
        raise ValidationException(f"{bad[0]}: control characters", extra=[
            {"key": name, "message": "must not contain control characters", "source": "parameter"} for name in bad])
    if handler.opt.get(PUBLIC):
        return
    allowed = handler.opt.get("roles")
    if not allowed:
        raise PermissionDeniedException("this endpoint declares no roles, so nobody may call it")
    principal: Principal = connection.user
    if principal.role not in allowed:
        raise PermissionDeniedException(f"role {principal.role} may not call this endpoint")
    if "data" in handler.parsed_fn_signature.parameters:
        # A JSON body sent under another media type (text/plain...) is refused, not guessed at.
        media = connection.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise HTTPException(status_code=415, detail="send the body as JSON with Content-Type: application/json")
    served = connection.app.state.services.settings.province
    for name in ("county", "province"):
        code = connection.path_params.get(name)
        if served is not None and isinstance(code, str) and code[:2] != served:
            # another province's county lives in another deployment: not here, whoever asks
            raise NotFoundException(f"{name} {code} is in province {code[:2]}; this deployment serves province "
                                    f"{served} only")
    scope_code = connection.path_params.get("scope_code")
    if isinstance(scope_code, str):
        connection.user.check_parameter_scope(scope_code)
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
            org_county = await _organisation_county(connection, org)
            if org_county is None:
                raise NotFoundException(f"no organisation {org}")
            principal.check_county(org_county)


async def _organisation_county(connection: ASGIConnection[Any, Any, Any, Any], org: str) -> str | None:
    """The organisation's county in the read model; a request that carries ``min_position`` (its own write, just
    made) first lets the read model reach it, so that a just-registered organisation is not "not found"."""
    pool = connection.app.state.pool

    async def county_of() -> str | None:
        return await pool.fetchval("SELECT county FROM rm_employment.organisations WHERE credit_code = $1", org)

    county = await county_of()
    if county is None:
        # A buyer is not an organisation of the employment slice: its own first event names its county.
        first = await _aggregate_events(connection, ids.buyer_id(org))
        if first:
            return str(first[0].county)
    position = connection.query_params.get("min_position", "")
    if county is None and position.isdigit() and len(position) < 19:
        try:
            await status.wait_for(pool, ("employment",), int(position),
                                  connection.app.state.services.settings.read_wait_seconds)
        except StaleRead:
            return None  # the read then answers 404: nothing of this organisation is known yet
        county = await county_of()
    return county


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
