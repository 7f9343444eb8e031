"""A county's area list (乡镇、行政村名称): the names of its townships and villages, which every table and export of
the dashboard shows beside their codes. The household import records the names its rows give; this list records
them on their own (a county whose registry file has codes only)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, put
from litestar.params import FromPath, JSONBody

from xiaofei.http.auth import roles
from xiaofei.http.routes import OFFICIAL, READERS, AnyRequest, MinPosition, _command, _fresh, _scoped, _services
from xiaofei.http.schemas import ONE_LINE, CommandAccepted
from xiaofei.queries import registry as rq

AreaCode = Annotated[str, msgspec.Meta(pattern=r"^(\d{9}|\d{12})$",
                                       description="a township's 9-digit or a village's 12-digit code in the county")]


class AreaName(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    code: AreaCode
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60, pattern=ONE_LINE,
                                      description="the township's or village's name, one line")]


class AreaNames(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    areas: Annotated[list[AreaName], msgspec.Meta(min_length=1, max_length=20_000)]


class AreaRoutes(Controller):
    path = "/counties/{county:str}/areas"
    tags = ["registry"]

    @put("/", operation_id="nameCountyAreas", opt=roles(*OFFICIAL), status_code=200,
         summary="Record the names of the county's townships and villages (its area list)",
         description="Each code a township's (9 digits) or a village's (12 digits) of the county (422 naming it "
                     "otherwise). A name already recorded for a code is replaced; codes not listed keep theirs. The "
                     "household import records the names its 乡镇 / 村名称 columns give (docs/imports.md).")
    async def name_areas(self, request: AnyRequest, county: FromPath[str],
                         data: JSONBody[AreaNames]) -> CommandAccepted:
        principal = _scoped(request, county)
        registry = _services(request).registry
        names = {a.code: a.name for a in data.areas}
        return CommandAccepted(position=await _command(lambda: registry.name_areas(county, names, principal.actor)))

    @get("/", operation_id="listCountyAreas", opt=roles(*READERS),
         summary="The names of the county's townships and villages, by code")
    async def list_areas(self, request: AnyRequest, county: FromPath[str],
                         min_position: MinPosition = None) -> list[rq.AreaView]:
        _scoped(request, county)
        pool = await _fresh(request, min_position, "registry")
        return await rq.areas(pool, county)


CONTROLLERS = [AreaRoutes]
