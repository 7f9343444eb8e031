"""One mapping from exceptions to ``application/problem+json`` (RFC 9457) responses."""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
import psycopg
from eventsourcing import persistence
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from xiaofei.http.pools import CommandTimedOut
from xiaofei.domain.errors import AlreadyExists, Conflict, Forbidden, InvalidInput, NotFound, XiaofeiError
from xiaofei.logs import request_id_var
from xiaofei.queries.status import PartitionHalted, StaleRead

log = logging.getLogger("xiaofei.http")

PROBLEM = "application/problem+json"

_STATUS = {InvalidInput: 422, NotFound: 404, AlreadyExists: 409, Conflict: 409, Forbidden: 403}


def problem(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    rid = request_id_var.get()
    if rid:
        body["request_id"] = rid
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


def _status_of(exc: XiaofeiError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 400


def domain_error(_: Request[Any, Any, Any], exc: XiaofeiError) -> Response[dict[str, Any]]:
    errors = None
    if isinstance(exc, InvalidInput):
        errors = [{k: v for k, v in (("field", p.field), ("reason", p.reason), ("row", p.row)) if v is not None}
                  for p in exc.problems]
    return problem(_status_of(exc), exc.title, exc.detail, errors)


_AT = re.compile(r"\s*-\s*at\s*`\$\.?([^`]*)`")
_NAMED_FIELD = re.compile(r"(?:missing required|contains unknown) field `([^`]+)`")
_MISSING_PARAMETER = re.compile(r"Missing required (?:header|query|cookie|path) parameter '([^']+)'")


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        key = item.get("key")
        match = _AT.search(message)
        if match:
            key = match.group(1) or key
            message = _AT.sub("", message)
        missing = _NAMED_FIELD.search(message)
        if missing:
            key = f"{key}.{missing.group(1)}" if key and key != "data" else missing.group(1)
        errors.append({"field": key or item.get("source") or "body", "reason": message})
    if not errors:
        named = _MISSING_PARAMETER.search(str(exc.detail))  # a missing Idempotency-Key names the header
        errors.append({"field": named.group(1) if named else "body", "reason": exc.detail})
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return problem(400, "Invalid request", detail, errors)


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    return problem(exc.status_code, _title(exc.status_code), exc.detail, headers=exc.headers)


def partition_halted(_: Request[Any, Any, Any], exc: PartitionHalted) -> Response[dict[str, Any]]:
    return problem(503, "Read model halted for this county", str(exc), headers={"Retry-After": "30"})


def stale_read(_: Request[Any, Any, Any], exc: StaleRead) -> Response[dict[str, Any]]:
    return problem(503, "Read model not caught up", str(exc), headers={"Retry-After": "1"})


def internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem(500, "Internal error", "the server failed; the request id identifies it in the logs")


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def database_unavailable(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.warning("database unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
    return problem(503, "Database unavailable", "the database cannot be reached just now; try again shortly",
                   headers={"Retry-After": "2"})


def command_timed_out(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.warning("command timed out; answered 503", extra={"error": str(exc)})
    return problem(503, "Database unavailable", f"{exc}; it may still be recorded once the database answers: retry "
                   "it with the same Idempotency-Key, or read before retrying", headers={"Retry-After": "5"})


def retry_shortly(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # SQLSTATE class 40: on a hot standby, a read cancelled by a conflict with the replay of the primary's WAL
    # ("canceling statement due to conflict with recovery"); anywhere, a deadlock. The same read will pass again.
    log.warning("read rolled back by the database; answered 503", extra={"error": f"{type(exc).__name__}: {exc}"})
    return problem(503, "Try again", "the database rolled this read back (a conflict with a replica's replay or "
                                     "a deadlock); try again shortly", headers={"Retry-After": "1"})


def too_deep(_: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    # msgspec raises RecursionError for a body nested thousands of levels deep; nothing was read from it
    return problem(400, "Bad request", "the request body is nested too deeply", [{"field": "body",
                                                                                   "reason": "nested too deeply"}])


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    XiaofeiError: domain_error,
    RecursionError: too_deep,
    # The database went away (killed, restarting, in recovery, frozen, unreachable, out of connections): a 503 with
    # Retry-After the client can retry, never a 500 (issue 23.4). OperatorInterventionError is SQLSTATE class 57:
    # the server starting up or in recovery (CannotConnectNow), shutting down (AdminShutdown, CrashShutdown), a
    # statement cancelled (QueryCanceled); the same class from psycopg is an OperationalError, below.
    CommandTimedOut: command_timed_out,
    OSError: database_unavailable,
    TimeoutError: database_unavailable,
    asyncpg.exceptions.PostgresConnectionError: database_unavailable,
    asyncpg.exceptions.OperatorInterventionError: database_unavailable,
    asyncpg.exceptions.TooManyConnectionsError: database_unavailable,
    asyncpg.exceptions.InterfaceError: database_unavailable,
    asyncpg.exceptions.TransactionRollbackError: retry_shortly,
    psycopg.OperationalError: database_unavailable,
    persistence.OperationalError: database_unavailable,
    persistence.InterfaceError: database_unavailable,
    ValidationException: validation_error,
    HTTPException: http_error,
    StaleRead: stale_read,
    PartitionHalted: partition_halted,
    Exception: internal_error,
}
__all__ = ["EXCEPTION_HANDLERS", "PROBLEM", "MediaType", "problem"]
