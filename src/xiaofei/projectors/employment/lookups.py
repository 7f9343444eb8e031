"""Reads the rules need from the employment read model: parameters in force, registry membership, certification
periods."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.employment import month_bounds
from xiaofei.rules.entitlements import CertificationFacts, CertificationPeriod, PersonFacts
from xiaofei.rules.parameters import ParameterVersion, all_in_force, scope_chain


# $1, $2, $3: arrays of county, ID hash and month of the worker-months wanted; {s} is the schema prefix.
SLIPS_SQL = ("SELECT s.* FROM {s}slips s JOIN unnest($1::text[], $2::text[], $3::text[]) AS g(county, id_hash, month)"
             " ON s.county = g.county AND s.id_hash = g.id_hash AND s.month = g.month")
# $1: array of ID hashes
PEOPLE_SQL = ("SELECT p.*, array_agg(h.effective_date ORDER BY h.version) AS dates,"
              " array_agg(h.category ORDER BY h.version) AS categories FROM {s}persons p"
              " JOIN {s}household_categories h USING (county, household_number)"
              " WHERE p.id_hash = ANY($1::text[]) GROUP BY p.id_hash, p.county, p.household_number, p.person_number")
# $1: array of workshop ids
CERTIFICATIONS_SQL = ("SELECT * FROM {s}workshop_certifications WHERE workshop_id = ANY($1::uuid[])"
                      " ORDER BY workshop_id, seq")


def psycopg_sql(statement: str, schema: str = "") -> str:
    """One of the statements above for psycopg (``%s`` placeholders, in order)."""
    out = statement.format(s=schema)
    for n in range(9, 0, -1):
        out = out.replace(f"${n}", "%s")
    return out


class ParamsByCounty:
    """Parameter lookups for any county, by month (its last day) or by day, each county's versions read once."""

    def __init__(self, cur: psycopg.Cursor[DictRow]) -> None:
        self.cur = cur
        self._months: dict[str, ParamsByMonth] = {}
        self._days: dict[tuple[str, date], dict[str, ParameterVersion]] = {}

    def monthly(self, county: str) -> ParamsByMonth:
        if county not in self._months:
            self._months[county] = ParamsByMonth(parameter_versions(self.cur, county), county)
        return self._months[county]

    def on(self, county: str, day: date) -> dict[str, ParameterVersion]:
        if (county, day) not in self._days:
            self._days[(county, day)] = all_in_force(self.monthly(county).versions, county, day)
        return self._days[(county, day)]


class ParamsByMonth:
    """The parameters in force for a county on each month's last day (the date that matters for a slip)."""

    def __init__(self, versions: list[ParameterVersion], county: str) -> None:
        self.versions = versions
        self.county = county
        self._cache: dict[str, dict[str, ParameterVersion]] = {}

    def __call__(self, month: str) -> dict[str, ParameterVersion]:
        if month not in self._cache:
            self._cache[month] = all_in_force(self.versions, self.county, month_bounds(month)[1])
        return self._cache[month]


def scope_prefix(scope: str) -> str:
    """LIKE pattern of the counties a scope covers: national, province xx0000, city xxxx00, county."""
    if scope == "national":
        return "%"
    if scope.endswith("0000"):
        return scope[:2] + "%"
    if scope.endswith("00"):
        return scope[:4] + "%"
    return scope


def parameter_versions(cur: psycopg.Cursor[DictRow], county: str) -> list[ParameterVersion]:
    cur.execute("SELECT name, value, scope, effective_from, effective_to, source, era, seq FROM parameters"
                " WHERE scope = ANY(%s)", (scope_chain(county),))
    return [ParameterVersion(**r) for r in cur.fetchall()]


def people_for(cur: psycopg.Cursor[DictRow], hashes: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Registry members by ID hash, each with the household's category history."""
    if not hashes:
        return {}
    cur.execute(psycopg_sql(PEOPLE_SQL), (list(hashes),))
    return group_people(cur.fetchall())


def group_people(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows of ``PEOPLE_SQL`` by ID hash, each hash's memberships by county, household and member number."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["id_hash"]].append(dict(r))
    for found in out.values():
        found.sort(key=lambda r: (r["county"], r["household_number"], r["person_number"]))
    return out


def person_in_month(candidates: list[dict[str, Any]], last: date) -> PersonFacts | None:
    """The registry membership in force on ``last``: joined on or before it and not yet left (someone who left
    by the month's last day counts no more)."""
    for r in candidates:
        if r["left_on"] is not None and r["left_on"] <= last:
            continue
        if r["joined_on"] is not None and r["joined_on"] > last:
            continue
        category, since = None, None
        for effective, cat in zip(r["dates"], r["categories"], strict=True):
            if effective <= last:
                category, since = cat, effective
        return PersonFacts(r["county"], r["household_number"], r["person_number"], r["birth_date"], r["sex"],
                           category, since)
    return None


def workshop_rows(cur: psycopg.Cursor[DictRow], ids: list[UUID]) -> dict[UUID, DictRow]:
    cur.execute("SELECT * FROM workshops WHERE workshop_id = ANY(%s)", (ids,))
    return {r["workshop_id"]: r for r in cur.fetchall()}


def certifications_for(cur: psycopg.Cursor[DictRow], workshop_ids: set[UUID]) -> dict[UUID, CertificationFacts]:
    """Each workshop's certification history (every period, oldest first)."""
    cur.execute(psycopg_sql(CERTIFICATIONS_SQL), (sorted(workshop_ids, key=str),))
    return certification_facts(cur.fetchall())


def certification_facts(rows: Iterable[Mapping[str, Any]]) -> dict[UUID, CertificationFacts]:
    """Rows of ``CERTIFICATIONS_SQL`` (by workshop, then sequence) as each workshop's periods."""
    periods: dict[UUID, list[CertificationPeriod]] = defaultdict(list)
    for r in rows:
        periods[r["workshop_id"]].append(CertificationPeriod(r["plaque_number"], r["certified_on"], r["ends_on"],
                                                             r["end_reason"]))
    return {w: CertificationFacts(tuple(p)) for w, p in periods.items()}
