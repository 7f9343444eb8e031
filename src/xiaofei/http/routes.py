"""Controllers: thin, typed, each declaring who may call it (``opt=roles(...)`` or ``public``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Response

from xiaofei.application.tables import CONTROL_CHARACTERS
from xiaofei.application.registry import HouseholdInput, MemberInput
from xiaofei.bootstrap import Services
from xiaofei.domain.clock import business_today
from xiaofei.domain.bounds import month_problem
from xiaofei.domain.errors import invalid
from xiaofei.http.auth import Principal, public, roles
from xiaofei.http.pools import run_command, within
from xiaofei.http.schemas import (
    CategoryChange,
    CommandAccepted,
    CountyCreate,
    EventRecord,
    Health,
    HouseholdCreate,
    IdRevealed,
    IdRevealRequest,
    ImportSummary,
    MemberAdd,
    MemberCreate,
    MemberRemove,
    OtherIncomeDeclare,
    ParameterCreate,
    PresetAdopt,
    PresetView,
    TokenCreate,
    TokenIssued,
    TokenRevoke,
)
from xiaofei.projectors.catalog import PROJECTIONS
from xiaofei.queries import policy as policy_queries
from xiaofei.queries import registry as rq
from xiaofei.queries.policy import ParameterInForce
from xiaofei.rules.parameters import PRESETS
from xiaofei.queries import records, status
from xiaofei.queries.models import CountyView, HouseholdPage, HouseholdView, ProjectionStatus, VillageCategoryCount

T = TypeVar("T")
AnyRequest = Request[Principal, Any, Any]
MinPosition = Annotated[int | None, QueryParameter(
    ge=0, description="Wait (bounded) until the read model has processed this log position; 503 if it does not.")]

READERS = ("county_official", "auditor")
OFFICIAL = ("county_official",)
EMPLOYER = ("employer",)
After = Annotated[str | None, QueryParameter(max_length=400, description="The previous page's next_after")]
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Rows per page (at most 500)")]
Month = Annotated[str, QueryParameter(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


def _services(request: AnyRequest) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def _command(fn: Callable[[], T]) -> T:
    """The event store is synchronous: run use cases off the event loop, for at most XIAOFEI_DB_COMMAND_TIMEOUT."""
    return await run_command(fn)


async def _fresh(request: AnyRequest, min_position: int | None, *projections: str, primary: bool = False) -> Any:
    """The read pool, once the projections have reached ``min_position`` and are not halted for the county the
    request reads (a county's part halts at an event it cannot apply: its reads answer 503 naming it). With
    ``primary``, the primary's pool even when reads go to a replica: a long streamed export (which a standby may
    cancel halfway for a conflict with its replay, after the 200 has gone) or a computation on the primary."""
    pool, _ = await _fresh_stamped(request, min_position, projections, primary=primary)
    return pool


async def _fresh_stamped(request: AnyRequest, min_position: int | None, projections: tuple[str, ...],
                         stamp: tuple[str, ...] = (), primary: bool = False) -> tuple[Any, tuple[int, ...]]:
    """``_fresh``, and the positions the ``stamp`` projections have reached (read in the same query)."""
    # a streaming replica's when XIAOFEI_READ_REPLICA_URL is set
    pool = request.app.state.pool if primary else request.app.state.read_pool
    await status.wait_for(pool, projections, min_position, _services(request).settings.read_wait_seconds,
                          request.app.state.events_table, head_pool=request.app.state.pool)
    at = await status.check_partition(pool, projections, request.path_params.get("county"),
                                      request.path_params.get("org"), stamp=stamp)
    return pool, at


async def _from_log(request: AnyRequest, min_position: int | None) -> None:
    """A read straight from the event store (an aggregate itself, no projection) holds every write already, so
    ``min_position`` is met at once; a position past the log's head was never returned by a write: 422, as for the
    reads of a read model."""
    if min_position:
        top = await status.head(request.app.state.pool, request.app.state.events_table)
        if min_position > top:
            raise invalid("min_position", f"is past the last position of the log ({top}): use the position a "
                                          "command returned")


def _month(month: str | None, field: str = "month") -> str | None:
    """The query's month, checked here: inside ``X | None`` the documented pattern is not enforced by the framework."""
    if month is not None and month_problem(field, month) is not None:
        raise invalid(field, "must be YYYY-MM")
    return month


def found(value: T | None, detail: str) -> T:
    """The object a read looked up, or 404 with ``detail`` (the same words whether it exists elsewhere or not)."""
    if value is None:
        raise NotFoundException(detail)
    return value


def _scoped(request: AnyRequest, county: str) -> Principal:
    principal = request.user
    principal.check_county(county)
    return principal


def _member(m: MemberCreate) -> MemberInput:
    return MemberInput(m.person_number, m.name, m.id_number, m.relation, m.labour_capacity, m.disability)


PROBE_SECONDS = 2.0
"""/health and /ready answer within this, whatever the database does."""


class SystemController(Controller):
    tags = ["system"]

    @get("/health", operation_id="health", opt=public,
         summary="Liveness, and whether the database answers (503 while it does not)",
         description="For a process supervisor or a container HEALTHCHECK: 200 `ok` while the process serves and the "
                     "database answers within 2 s, else 503 with Retry-After — within 2 s whatever the database "
                     "does (stopped, restarting, frozen). No token needed.")
    async def health(self, request: AnyRequest) -> Response[Health]:
        try:
            await within(PROBE_SECONDS, lambda: request.app.state.pool.fetchval("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure to answer is "unreachable"
            return Response(Health(status="database unreachable"), status_code=503, headers={"Retry-After": "2"})
        return Response(Health(status="ok"))

    @get("/ready", operation_id="ready", opt=public, summary="Readiness: database reachable, projectors running",
         description="For a load balancer: 503 while the database (or the read replica, when one is set) cannot "
                     "be reached or the in-process projectors stopped; 200 otherwise, saying which counties' read "
                     "models are halted (those counties' reads answer 503, every other county is served). It answers "
                     "within 2 s whatever the database does (a database that does not answer in time is 503). No "
                     "token needed.")
    async def ready(self, request: AnyRequest) -> Response[Health]:
        services = _services(request)
        pool, started = request.app.state.pool, time.monotonic()

        def left() -> float:  # the probes share PROBE_SECONDS: the whole answer comes within it
            return max(0.05, PROBE_SECONDS - (time.monotonic() - started))

        try:
            await within(left(), lambda: pool.fetchval("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure to answer is "unreachable"
            return Response(Health(status="database unreachable"), status_code=503, headers={"Retry-After": "2"})
        if request.app.state.read_pool is not pool:
            try:  # XIAOFEI_READ_REPLICA_URL: the queries are served there
                await within(left(), lambda: request.app.state.read_pool.fetchval("SELECT 1"))
            except Exception:  # noqa: BLE001 - any failure to answer is "unreachable"
                return Response(Health(status="read replica unreachable"), status_code=503,
                                headers={"Retry-After": "2"})
        if services.settings.run_projectors and not services.projectors_alive():
            return Response(Health(status="projectors stopped or failing (see the logs)", projectors="down"),
                            status_code=503)
        try:
            statuses = await within(left(), lambda: status.statuses(pool, list(PROJECTIONS),
                                                                    request.app.state.events_table))
        except Exception:  # noqa: BLE001 - any failure to answer is "unreachable"
            return Response(Health(status="database unreachable"), status_code=503, headers={"Retry-After": "2"})
        halted = [f"{p.name}:{h.county}" for p in statuses for h in p.halted]
        if halted:
            # still ready: every other county is served (a 503 here would take them all out of a load balancer)
            return Response(Health(status=f"ready, but halted for {', '.join(halted)} (see /projections)",
                                   projectors="partial"))
        return Response(Health(status="ready", projectors="running" if services.settings.run_projectors else "external"))

    @get("/projections", operation_id="listProjections", opt=roles("admin", *READERS),
         summary="Each projection's position in the log and its lag")
    async def projections(self, request: AnyRequest) -> list[ProjectionStatus]:
        return await status.statuses(request.app.state.pool, list(PROJECTIONS), request.app.state.events_table)


class AdminController(Controller):
    tags = ["admin"]

    @get("/admin/tokens", operation_id="listTokens", opt=roles("admin"),
         summary="API tokens issued (role, scope, label, issued and revoked), never their secrets or hashes",
         description="Paged in issuing order; `role` and `revoked` filter. A lost token is revoked by its "
                     "`token_id` (POST /admin/tokens/{token_id}/revoke) and a new one issued.")
    async def list_tokens(self, request: AnyRequest, role: FromQuery[str | None] = None,
                          revoked: FromQuery[bool | None] = None, after: After = None, limit: Limit = 100,
                          min_position: MinPosition = None) -> records.TokenPage:
        pool = await _fresh(request, min_position, "access")
        return await records.tokens(pool, role=role, revoked=revoked, after=after, limit=limit)

    @post("/admin/tokens", operation_id="issueToken", opt=roles("admin"),
          summary="Issue an API token (the secret is returned once)")
    async def issue_token(self, request: AnyRequest, data: JSONBody[TokenCreate]) -> TokenIssued:
        access = _services(request).access
        issued = await _command(lambda: access.issue(data.role, list(data.counties), data.organisation_id,
                                                     data.label, request.user.actor))
        return TokenIssued(token_id=issued.token_id, token=issued.secret, role=issued.role, counties=issued.counties,
                           organisation_id=issued.organisation_id, position=issued.position)

    @post("/admin/tokens/{token_id:uuid}/revoke", operation_id="revokeToken", opt=roles("admin"),
          summary="Revoke a token",
          description="Refused (409) for the last active admin token: after it only the server's CLI could issue "
                      "another. Issue another admin token first; revocations of admin tokens take turns, so two "
                      "racing for the last two cannot both pass. 409 too when the token is already revoked.")
    async def revoke_token(self, request: AnyRequest, token_id: FromPath[UUID], data: JSONBody[TokenRevoke]) -> CommandAccepted:
        access = _services(request).access
        return CommandAccepted(position=await _command(lambda: access.revoke(token_id, data.reason, request.user.actor)))

    @post("/counties", operation_id="registerCounty", opt=roles("admin"), summary="Register a county")
    async def register_county(self, request: AnyRequest, data: JSONBody[CountyCreate]) -> CommandAccepted:
        registry = _services(request).registry
        return CommandAccepted(position=await _command(
            lambda: registry.register_county(data.code, data.name, data.province, request.user.actor)))

    @get("/counties", operation_id="listCounties", opt=roles("admin", *READERS),
         summary="Counties on the platform (officials and auditors see their own)")
    async def list_counties(self, request: AnyRequest, min_position: MinPosition = None) -> list[CountyView]:
        pool = await _fresh(request, min_position, "registry")
        principal = request.user
        return await rq.counties(pool, None if principal.role == "admin" else sorted(principal.counties))


class RegistryController(Controller):
    path = "/counties/{county:str}"
    tags = ["registry"]

    @post("/households", operation_id="registerHousehold", opt=roles(*OFFICIAL),
          summary="Register a household (户) with its members")
    async def register_household(self, request: AnyRequest, county: FromPath[str],
                                 data: JSONBody[HouseholdCreate]) -> CommandAccepted:
        principal = _scoped(request, county)
        registry = _services(request).registry
        household = HouseholdInput(data.household_number, data.village_code, data.category, data.subtype,
                                   list(data.causes), [_member(m) for m in data.members], data.effective_date)
        return CommandAccepted(position=await _command(
            lambda: registry.register_household(county, household, principal.actor)))

    @get("/households/{household_number:str}", operation_id="getHousehold", opt=roles(*READERS),
         summary="A household by number, members' ID numbers masked")
    async def get_household(self, request: AnyRequest, county: FromPath[str], household_number: FromPath[str],
                            min_position: MinPosition = None) -> HouseholdView:
        _scoped(request, county)
        pool = await _fresh(request, min_position, "registry")
        return found(await rq.household(pool, county, household_number),
                     f"no household {household_number} in county {county}")

    @get("/households/{household_number:str}/events", operation_id="getHouseholdEvents", opt=roles(*READERS),
         summary="The household's raw event history, oldest first (who recorded what, when)",
         description="Read from the event store itself (always current): `min_position` is met at once.")
    async def household_events(self, request: AnyRequest, county: FromPath[str], household_number: FromPath[str],
                               min_position: MinPosition = None) -> list[EventRecord]:
        _scoped(request, county)
        await _from_log(request, min_position)
        registry = _services(request).registry
        history = await _command(lambda: registry.household_history(county, household_number))
        return [EventRecord(**h) for h in history]

    @get("/villages/{village_code:str}/households", operation_id="listVillageHouseholds", opt=roles(*READERS),
         summary="Households of a village, paged by household number")
    async def village_households(
        self, request: AnyRequest, county: FromPath[str], village_code: FromPath[str],
        after: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        min_position: MinPosition = None,
    ) -> HouseholdPage:
        _scoped(request, county)
        pool = await _fresh(request, min_position, "registry")
        return await rq.village_households(pool, county, village_code, after, limit)

    @get("/category-counts", operation_id="categoryCountsByVillage", opt=roles(*READERS),
         summary="Households per category per village")
    async def category_counts(self, request: AnyRequest, county: FromPath[str],
                              village: FromQuery[str | None] = None,
                              min_position: MinPosition = None) -> list[VillageCategoryCount]:
        _scoped(request, county)
        pool = await _fresh(request, min_position, "registry")
        return await rq.category_counts(pool, county, village)

    @post("/households/{household_number:str}/members", operation_id="addMember", opt=roles(*OFFICIAL),
          summary="Add a member to a household")
    async def add_member(self, request: AnyRequest, county: FromPath[str], household_number: FromPath[str],
                         data: JSONBody[MemberAdd]) -> CommandAccepted:
        principal = _scoped(request, county)
        registry = _services(request).registry
        return CommandAccepted(position=await _command(lambda: registry.add_member(
            county, household_number, _member(data.member), data.joined_on, data.reason, principal.actor)))

    @post("/households/{household_number:str}/members/{person_number:str}/removal", operation_id="removeMember",
          opt=roles(*OFFICIAL), summary="Record that a member left the household")
    async def remove_member(self, request: AnyRequest, county: FromPath[str], household_number: FromPath[str],
                            person_number: FromPath[str], data: JSONBody[MemberRemove]) -> CommandAccepted:
        principal = _scoped(request, county)
        registry = _services(request).registry
        return CommandAccepted(position=await _command(lambda: registry.remove_member(
            county, household_number, person_number, data.left_on, data.reason, principal.actor)))

    @post("/households/{household_number:str}/category-changes", operation_id="changeCategory",
          opt=roles(*OFFICIAL), summary="Change a household's category, with effective date and reason")
    async def change_category(self, request: AnyRequest, county: FromPath[str], household_number: FromPath[str],
                              data: JSONBody[CategoryChange]) -> CommandAccepted:
        principal = _scoped(request, county)
        registry = _services(request).registry
        return CommandAccepted(position=await _command(lambda: registry.change_category(
            county, household_number, data.category, data.subtype, data.effective_date, data.reason, data.note,
            principal.actor)))

    @post("/households/{household_number:str}/other-income", operation_id="declareOtherIncome",
          opt=roles(*OFFICIAL), summary="Declare income found at the yearly home verification (年度收入核实)")
    async def declare_other_income(self, request: AnyRequest, county: FromPath[str], household_number: FromPath[str],
                                   data: JSONBody[OtherIncomeDeclare]) -> CommandAccepted:
        principal = _scoped(request, county)
        registry = _services(request).registry
        return CommandAccepted(position=await _command(lambda: registry.declare_other_income(
            county, household_number, data.year, data.income_type, data.amount_fen, data.note, principal.actor)))

    @post("/households/{household_number:str}/members/{person_number:str}/id-number-reveals",
          operation_id="revealIdNumber", opt=roles(*OFFICIAL),
          summary="Show a member's full ID number for a stated purpose (recorded for audit)")
    async def reveal_id_number(self, request: AnyRequest, county: FromPath[str], household_number: FromPath[str],
                               person_number: FromPath[str], data: JSONBody[IdRevealRequest]) -> IdRevealed:
        principal = _scoped(request, county)
        registry = _services(request).registry
        number, position = await _command(lambda: registry.reveal_id_number(
            county, household_number, person_number, data.purpose, principal.actor))
        return IdRevealed(id_number=number, position=position)

    @get("/household-imports", operation_id="listHouseholdImports", opt=roles(*READERS),
         summary="The county's household import files, newest first (name, SHA-256, rows, registered, who, when)")
    async def household_imports(self, request: AnyRequest, county: FromPath[str], after: After = None,
                                limit: Limit = 100, min_position: MinPosition = None) -> records.HouseholdImportPage:
        _scoped(request, county)
        pool = await _fresh(request, min_position, "registry")
        return await records.household_imports(pool, county, after=after, limit=limit)

    @post("/household-imports", operation_id="importHouseholds", opt=roles(*OFFICIAL),
          summary="Import households from CSV (text/csv body, one row per member); all-or-nothing")
    async def import_households(self, request: AnyRequest, county: FromPath[str],
                                filename: FromQuery[str] = "upload.csv") -> ImportSummary:
        principal = _scoped(request, county)
        if len(filename) > 255 or CONTROL_CHARACTERS.search(filename):
            raise invalid("filename", "at most 255 characters, no control characters")
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith(("text/csv", "application/csv", "application/octet-stream")):
            raise HTTPException(status_code=415, detail="send the CSV file as the body with Content-Type: text/csv")
        body = await request.body()
        importer = _services(request).importer
        result = await _command(lambda: importer.run(county, filename, body, principal.actor))
        return ImportSummary(file_sha256=result.file_sha256, rows=result.rows, households=result.households,
                             registered=result.registered, unchanged=result.unchanged,
                             already_imported=result.already_imported, position=result.position)


ALL_ROLES = ("admin", "county_official", "auditor", "seller", "employer", "buyer")


class PolicyController(Controller):
    tags = ["policy"]

    @get("/policy/presets", operation_id="listPresets", opt=roles(*ALL_ROLES), summary="Named parameter presets")
    async def presets(self) -> list[PresetView]:
        return [PresetView(name=p.name, title=p.title, source=p.source, era=p.era, effective_from=p.effective_from,
                           effective_to=p.effective_to, values=dict(p.values)) for p in PRESETS.values()]

    @get("/counties/{county:str}/policy", operation_id="policyInForce", opt=roles(*READERS),
         summary="Every parameter in force for the county on a date, each with scope and source")
    async def in_force(self, request: AnyRequest, county: FromPath[str], on: FromQuery[date | None] = None,
                       min_position: MinPosition = None) -> list[ParameterInForce]:
        pool = await _fresh(request, min_position, "policy")
        return await policy_queries.in_force(pool, county, on or business_today())

    @post("/counties/{county:str}/policy/adoptions", operation_id="adoptPreset", opt=roles(*OFFICIAL),
          summary="Adopt a preset: its values are recorded as county parameter versions")
    async def adopt(self, request: AnyRequest, county: FromPath[str], data: JSONBody[PresetAdopt]) -> CommandAccepted:
        policy = _services(request).policy
        return CommandAccepted(position=await _command(
            lambda: policy.adopt_preset(county, data.preset, data.effective_from, request.user.actor)))

    @post("/counties/{county:str}/policy/parameters", operation_id="recordCountyParameter", opt=roles(*OFFICIAL),
          summary="Record a county parameter version (from its effective date it overrides wider scopes and versions "
                  "that started earlier)")
    async def record_county(self, request: AnyRequest, county: FromPath[str],
                            data: JSONBody[ParameterCreate]) -> CommandAccepted:
        return await _record_parameter(request, county, data)

    @post("/policy/scopes/{scope_code:str}/parameters", operation_id="recordScopeParameter",
          opt=roles("admin", "province_official"), summary="Record a national, province or city parameter version",
          description="An admin records any scope; a province official its own province's (e.g. the monitoring "
                      "line, 防返贫监测范围) and no other scope (403).")
    async def record_scope(self, request: AnyRequest, scope_code: FromPath[str],
                           data: JSONBody[ParameterCreate]) -> CommandAccepted:
        return await _record_parameter(request, scope_code, data)


async def _record_parameter(request: AnyRequest, scope: str, data: ParameterCreate) -> CommandAccepted:
    policy = _services(request).policy
    return CommandAccepted(position=await _command(lambda: policy.record_parameter(
        scope, data.name, data.value, data.effective_from, data.effective_to, data.source, data.era,
        request.user.actor)))


CONTROLLERS = [SystemController, AdminController, RegistryController, PolicyController]
