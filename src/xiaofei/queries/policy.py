"""Policy queries: the parameters in force for a county on a date, each with its source."""

from __future__ import annotations

from datetime import date

import asyncpg
import msgspec

from xiaofei.rules.parameters import CATALOGUE, ParameterVersion, all_in_force, scope_chain


class ParameterInForce(msgspec.Struct, kw_only=True):
    name: str
    value: str
    scope: str
    effective_from: date
    effective_to: date | None
    source: str
    era: str
    description: str
    minimum: str | None  # the catalogue's inclusive bounds; a recorded value outside them is refused
    maximum: str | None


async def versions_for(pool: asyncpg.Pool, county: str) -> list[ParameterVersion]:
    rows = await pool.fetch(
        "SELECT name, value, scope, effective_from, effective_to, source, era, seq FROM rm_policy.parameter_versions"
        " WHERE scope = ANY($1)", scope_chain(county))
    return [ParameterVersion(**dict(r)) for r in rows]


async def in_force(pool: asyncpg.Pool, county: str, on: date) -> list[ParameterInForce]:
    chosen = all_in_force(await versions_for(pool, county), county, on)
    return [ParameterInForce(name=v.name, value=v.value, scope=v.scope, effective_from=v.effective_from,
                             effective_to=v.effective_to, source=v.source, era=v.era,
                             description=CATALOGUE[v.name].description, minimum=CATALOGUE[v.name].minimum,
                             maximum=CATALOGUE[v.name].maximum) for v in chosen.values()]
