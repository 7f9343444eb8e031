"""The OpenAPI document, completed in one place after Litestar has generated it.

Litestar documents each operation's success response and its own 400 (as ``application/json`` with its own
shape). What every operation may also answer follows from what it is, so it is derived here rather than repeated
on sixty decorators: any route behind a token can answer 401/403 and, past the failed-login limit, 429; any route
with parameters or a body 400 (the schema refused it) and 422 (a rule refused it); a route with path ids 404; a
command 409 (a conflict, or a state that does not allow it), 413 and 415 for its body; every route that touches the
database 503 while it cannot be reached, and every read 503 while the read model lags ``min_position`` or is
halted for the county. All of them are ``application/problem+json`` (RFC 9457) with the ``Problem`` schema.
Upload bodies that routes read raw (CSV, XLSX, JSON slips) are documented from the parsers' own column tables.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import (
    Components,
    Example,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.routes import HTTPRoute

from xiaofei.application import importer, slips
from xiaofei.application.consumption import channel_rows
from xiaofei.application.employment import EmploymentService
from xiaofei.application.tables import CSV_TYPES, XLSX_TYPES
from xiaofei.http.auth import PUBLIC
from xiaofei.http.exports import EXPORT

PROBLEM = "application/problem+json"
BEARER = "bearer"
QUERY_NAMES = "query_names"

WHY: dict[int, str] = {
    400: "The body or a parameter does not fit the schema (the field and the reason are named)",
    401: "No valid bearer token",
    403: "The token's role may not call this, or the county/organisation is outside its scope",
    404: "No such object here (the same words whether or not it exists in another county or organisation)",
    409: "A conflict: the object exists already, is not in the state this needs, or changed meanwhile",
    413: "The body is larger than XIAOFEI_MAX_UPLOAD_BYTES",
    415: "The body is not sent as a media type this operation reads",
    422: "A rule refuses the request (the field and the reason are named); nothing was written",
    429: "Too many failed authentications from this address (a valid token is never refused); retry after "
         "Retry-After seconds",
    503: "The database cannot be reached or does not answer within the configured waits (connection, statement, "
         "command), or the read model has not reached min_position or is halted for this county (the detail names "
         "the event); retry after Retry-After seconds",
}

_EXAMPLE: dict[int, dict[str, Any]] = {
    400: {"title": "Invalid request", "detail": "min_position: Expected `int` >= 0",
          "errors": [{"field": "min_position", "reason": "Expected `int` >= 0"}]},
    401: {"title": "Unauthorized", "detail": "missing or invalid bearer token"},
    403: {"title": "Forbidden", "detail": "county 421081 is outside this token's scope"},
    404: {"title": "Not Found", "detail": "no workshop 0b8e7a8e-5a8f-5d3c-9a53-6f1f0f1c2d3e here"},
    409: {"title": "Conflict", "detail": "the claim is not under notice"},
    413: {"title": "Request Entity Too Large", "detail": "Request Entity Too Large"},
    415: {"title": "Unsupported Media Type", "detail": "send the body as application/json"},
    422: {"title": "Invalid input", "detail": "amount_fen: at most 100000000000 fen",
          "errors": [{"field": "amount_fen", "reason": "at most 100000000000 fen"}]},
    429: {"title": "Too Many Requests", "detail": "too many failed authentications; retry later"},
    503: {"title": "Read model not caught up", "detail": "projection registry is at 3871, request asked for at "
                                                        "least 9062"},
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A problem (RFC 9457): what went wrong, and for bad input every field with its reason.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "Always about:blank: the status and title say it all"},
        "title": {"type": "string"},
        "status": {"type": "integer", "description": "The HTTP status again"},
        "detail": {"type": "string", "description": "What exactly was refused or failed, in one line"},
        "errors": {"type": "array", "description": "Each bad field (with its row in an upload)", "items": {
            "type": "object",
            "properties": {"field": {"type": "string"}, "reason": {"type": "string"},
                           "row": {"type": "integer", "description": "Spreadsheet row (header = 1)"}}}},
        "request_id": {"type": "string", "description": "Also in X-Request-ID and in the service's JSON logs"},
    },
}


def _columns(columns: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> str:
    return "; ".join(f"`{name}`" + "".join(f" / {alias}" for alias in aliases if alias != name)
                     + (" (required)" if name in required else "") for name, aliases in columns.items())


def _csv(description: str) -> OpenAPIMediaType:
    return OpenAPIMediaType(schema=Schema(type="string", description=description))  # type: ignore[arg-type]


_XLSX = OpenAPIMediaType(schema=Schema(type="string", format="binary",  # type: ignore[arg-type]
                                       description="An XLSX workbook: the first sheet, the same columns as CSV"))

_SLIP_CSV = ("CSV (UTF-8 or GB18030), header row first, amounts in 元 with at most two decimals. Columns: "
             + _columns(slips.COLUMNS, slips.REQUIRED))
_HOUSEHOLD_CSV = ("The national system's export, one row per member (UTF-8 or GB18030). Columns: "
                  + _columns(importer.COLUMNS, importer.REQUIRED))
_STATEMENT_CSV = ("The bank's export as CSV, amounts in 元. Columns: "
                  + _columns(EmploymentService.STATEMENT_COLUMNS, EmploymentService.STATEMENT_REQUIRED))

_SLIP_SCHEMAS, _SLIP_COMPONENTS = msgspec.json.schema_components([slips.JsonUpload],
                                                                 ref_template="#/components/schemas/{name}")


class ChannelSaleIn(msgspec.Struct, kw_only=True):
    """One channel sale of an upload (the JSON form of one CSV row; amounts in whole fen)."""

    sold_on: str
    certificate_number: str
    quantity: int
    amount_fen: int
    channel: str
    reference: str
    buyer_type: str
    budget_unit: str | None = None
    tag: str | None = None


class ChannelSalesUpload(msgspec.Struct, kw_only=True):
    sales: list[ChannelSaleIn]


_CHANNEL_SCHEMAS, _CHANNEL_COMPONENTS = msgspec.json.schema_components([ChannelSalesUpload],
                                                                       ref_template="#/components/schemas/{name}")
_CHANNEL_CSV = ("CSV (UTF-8 or GB18030), header row first (Chinese or English names), amounts in whole fen. Columns: "
                + _columns(channel_rows.COLUMNS, channel_rows.REQUIRED))
_CHANNEL_EXAMPLE = {"sales": [{"sold_on": "2026-05-11", "certificate_number": "P-3607012026-001", "quantity": 3,
                               "amount_fen": 10500, "channel": "platform_832", "reference": "832-20260511-0001",
                               "buyer_type": "budget_unit", "budget_unit": "11360701MB1234567X", "tag": None}]}


def _channel_body() -> RequestBody:
    return RequestBody(required=True, description="Channel sales, all or nothing", content={
        "application/json": OpenAPIMediaType(schema=_CHANNEL_SCHEMAS[0],  # type: ignore[arg-type]
                                             example=_CHANNEL_EXAMPLE),
        **{t: _csv(_CHANNEL_CSV) for t in CSV_TYPES},
        **{t: _XLSX for t in XLSX_TYPES},
    })

#: Bodies read raw by the routes (operation id → request body).
UPLOAD_BODIES: dict[str, RequestBody] = {
    "uploadWageSlips": RequestBody(required=True, description="Wage slips, at most 5,000; all or nothing", content={
        "application/json": OpenAPIMediaType(schema=_SLIP_SCHEMAS[0], example={"slips": [{  # type: ignore[arg-type]
            "workshop_id": "6f3c2a8e-1d2b-5c4e-8f9a-0b1c2d3e4f50", "month": "2024-03",
            "id_number": "421081197503120020", "gross_fen": 60000, "days_worked": 22, "pay_date": "2024-03-28",
            "method": "bank", "bank_ref": "B-0001"}]}),
        **{t: _csv(_SLIP_CSV) for t in CSV_TYPES},
        **{t: _XLSX for t in XLSX_TYPES},
    }),
    "uploadBankStatement": RequestBody(required=True, description="A bank statement", content={
        t: _csv(_STATEMENT_CSV) for t in CSV_TYPES}),
    "uploadChannelSales": _channel_body(),
    "uploadCountyChannelSales": _channel_body(),
    "importHouseholds": RequestBody(required=True, description="Households, all or nothing", content={
        t: _csv(_HOUSEHOLD_CSV) for t in (*CSV_TYPES, "application/octet-stream")}),
}


def _problem_response(status: int) -> OpenAPIResponse:
    headers = None
    if status in (429, 503):
        headers = {"Retry-After": OpenAPIHeader(schema=Schema(type="integer"),  # type: ignore[arg-type]
                                                description="Seconds to wait before trying again")}
    example = {"type": "about:blank", "status": status, **_EXAMPLE[status],
               "request_id": "b0bdfbb64c9f4b5194a6942fe4ee6e9a"}
    return OpenAPIResponse(description=WHY[status], headers=headers, content={PROBLEM: OpenAPIMediaType(
        schema=Reference(ref="#/components/schemas/Problem"), examples={"problem": Example(value=example)})})


def statuses(public: bool, method: str, params: set[str], has_body: bool, declared: set[int]) -> set[int]:
    """The error statuses an operation may answer, from what it is (see the module's docstring)."""
    found = {503} | {s for s in declared if s >= 400}
    if not public:
        found |= {401, 403, 429}
    if params or has_body:
        found |= {400, 422}
    if "path" in params:
        found.add(404)
    if method == "post":
        found |= {404, 409}
    if has_body:
        found |= {413, 415}
    return found


_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusive_minimum", "lt": "exclusive_maximum",
           "min_length": "min_length", "max_length": "max_length", "pattern": "pattern"}


def _bound_optional_parameters(operation: Any, handler: Any) -> None:
    """Litestar drops a parameter's bounds from the schema of an optional one (``int | None`` becomes a bare
    ``oneOf``): put them back on the non-null branch, so clients and fuzzers see the bounds the server checks."""
    fields = handler.parsed_fn_signature.parameters
    for parameter in operation.parameters or []:
        field = fields.get(getattr(parameter, "name", None))
        kwarg = getattr(field, "kwarg_definition", None)
        schema = getattr(parameter, "schema", None)
        if kwarg is None or not isinstance(schema, Schema) or not schema.one_of:
            continue
        for branch in schema.one_of:
            if isinstance(branch, Schema) and branch.type != "null":
                for source, target in _BOUNDS.items():
                    if getattr(kwarg, source, None) is not None and getattr(branch, target) is None:
                        setattr(branch, target, getattr(kwarg, source))


def _project_structs() -> dict[str, type[msgspec.Struct]]:
    found: dict[str, type[msgspec.Struct]] = {}
    stack = list(msgspec.Struct.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("xiaofei."):
            found.setdefault(cls.__name__, cls)
    return found


def _msgspec_schemas(names: set[str]) -> dict[str, Any]:
    """The schemas of the project's Structs among ``names`` as msgspec itself writes them: msgspec is what
    validates the bodies, so its schema is exact where Litestar's loses constraints inside containers
    (``list[Code6]``, ``dict[str, NonEmpty]``) and never says that a Struct refuses unknown fields."""
    structs = _project_structs()
    chosen = [structs[name] for name in sorted(names) if name in structs]
    _, components = msgspec.json.schema_components(chosen, ref_template="#/components/schemas/{name}")
    return components


PREFER = Parameter(
    name="Prefer", param_in="header", required=False,  # type: ignore[arg-type]
    schema=Schema(type="string", examples=["wait=5"]),  # type: ignore[arg-type]
    description="`wait=N` (RFC 7240; other preferences are ignored): answer once every projection includes this write (at most N seconds, at most "
                "XIAOFEI_READ_WAIT_SECONDS); the answer then carries `Preference-Applied: wait=N`, and reads need "
                "no min_position.")
_APPLIED = OpenAPIHeader(schema=Schema(type="string"), required=False,  # type: ignore[arg-type]
                         description="`wait=N` when the read models included the write before this answer")


def _answers_a_position(operation: Any, schemas: dict[str, Any]) -> bool:
    """Whether a 2xx answer carries the write's ``position`` (what Prefer: wait waits for)."""
    for code, response in (operation.responses or {}).items():
        if not code.startswith("2") or not isinstance(response, OpenAPIResponse):
            continue
        for media in (response.content or {}).values():
            ref = getattr(media.schema, "ref", None)
            schema = schemas.get(ref.rsplit("/", 1)[-1]) if ref else None
            if isinstance(schema, dict) and "position" in schema.get("properties", {}):
                return True
    return False


def _prefer_wait(operation: Any) -> None:
    operation.parameters = [*(operation.parameters or []), PREFER]
    for code, response in (operation.responses or {}).items():
        if code.startswith("2") and isinstance(response, OpenAPIResponse):
            response.headers = {**(response.headers or {}), "Preference-Applied": _APPLIED}


ONE_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # what the guard lets through (tables.CONTROL_CHARACTERS)


def _text_parameters(operation: Any) -> None:
    """Query and path text never carries a control character (the guard refuses one): say so in every string's
    schema."""
    for parameter in operation.parameters or []:
        if getattr(parameter, "param_in", None) not in ("query", "path") or not isinstance(parameter.schema, Schema):
            continue
        for branch in parameter.schema.one_of or [parameter.schema]:
            if isinstance(branch, Schema) and branch.type == "string" and branch.pattern is None and not branch.format:
                branch.pattern = ONE_LINE


EXAMPLES_FILE = Path(__file__).with_name("examples.json")
"""One real request and answer per operation, recorded from the end-to-end tests (the worked examples among
them) by ``tests/recording.py``: ``XIAOFEI_RECORD_EXAMPLES=1 python -m pytest tests/e2e`` writes it anew."""


@lru_cache(maxsize=1)
def recorded_examples() -> dict[str, dict[str, Any]]:
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8")) if EXAMPLES_FILE.exists() else {}


def _attach_examples(document: dict[str, Any]) -> None:
    """Into the served document itself: Litestar's spec objects drop every null from an example's dicts."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            recorded = recorded_examples().get(operation.get("operationId")) if isinstance(operation, dict) else None
            if not recorded:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if recorded.get("request") is not None and body is not None:
                body.setdefault("example", recorded["request"])
            media = operation["responses"].get(str(recorded["status"]), {}).get("content", {}).get("application/json")
            if "response" in recorded and media is not None:
                media["examples"] = {"recorded": {"summary": "recorded from the end-to-end tests",
                                                  "value": recorded["response"]}}


def _export_content(operation: Any) -> None:
    """An export answers CSV or XLSX, as its ``format`` asks: both media types on its 200."""
    ok = (operation.responses or {}).get("200")
    if isinstance(ok, OpenAPIResponse):
        ok.content = {
            CSV_TYPES[0]: OpenAPIMediaType(schema=Schema(  # type: ignore[arg-type]
                type="string", description="format=csv: UTF-8 with BOM, one bilingual header row, CRLF lines")),
            XLSX_TYPES[0]: OpenAPIMediaType(schema=Schema(  # type: ignore[arg-type]
                type="string", format="binary", description="format=xlsx: one sheet, the same columns")),
        }


def _handlers(app: Litestar) -> dict[str, Any]:
    return {h.operation_id: h for route in app.routes if isinstance(route, HTTPRoute)
            for h in route.route_handlers if isinstance(h.operation_id, str)}


def operation_roles(app: Litestar) -> dict[str, frozenset[str] | None]:
    """Operation id → roles allowed (None: public)."""
    return {op: None if h.opt.get(PUBLIC) else h.opt.get("roles", frozenset()) for op, h in _handlers(app).items()}


def complete(app: Litestar) -> None:
    """Finish the app's OpenAPI document (built once, here, before the first request)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    openapi = plugin.provide_openapi()
    components = openapi.components if isinstance(openapi.components, Components) else Components()
    components.security_schemes = {BEARER: SecurityScheme(
        type="http", scheme="bearer", bearer_format="xf_…",
        description="A token issued by an admin (POST /admin/tokens or `xiaofei token create`), shown once")}
    generated = components.schemas or {}
    components.schemas = {**generated, **_msgspec_schemas(set(generated)),  # type: ignore[dict-item]
                          "Problem": PROBLEM_SCHEMA, **_SLIP_COMPONENTS, **_CHANNEL_COMPONENTS}
    openapi.components = components
    roles = operation_roles(app)
    handlers = _handlers(app)
    for item in (openapi.paths or {}).values():
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            allowed = roles.get(operation.operation_id)
            handler = handlers[operation.operation_id]
            _bound_optional_parameters(operation, handler)
            _text_parameters(operation)
            # the guard refuses a query parameter the operation does not declare (a typo must not widen a read)
            handler.opt[QUERY_NAMES] = frozenset(p.name for p in operation.parameters or []
                                                 if getattr(p, "param_in", None) == "query")
            if operation.operation_id in UPLOAD_BODIES:
                operation.request_body = UPLOAD_BODIES[operation.operation_id]
            if handler.opt.get(EXPORT):
                _export_content(operation)
            if allowed is not None:
                operation.security = [{BEARER: []}]
                who = ", ".join(sorted(allowed))
                operation.description = f"{operation.description or operation.summary or ''}\n\nRoles: {who}.".strip()
            params = {p.param_in for p in operation.parameters or [] if hasattr(p, "param_in")}
            if method == "post" and _answers_a_position(operation, components.schemas):
                _prefer_wait(operation)
            responses = operation.responses or {}
            declared = {int(code) for code in responses if code.isdigit()}
            for status in sorted(statuses(allowed is None, method, params, operation.request_body is not None,
                                          declared)):
                responses[str(status)] = _problem_response(status)
            operation.responses = responses
    _attach_examples(plugin.provide_openapi_schema())  # the dict /schema serves, built once here


__all__ = ["PROBLEM", "UPLOAD_BODIES", "WHY", "complete", "operation_roles", "statuses"]
