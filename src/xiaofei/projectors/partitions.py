"""County partitions of a projection: one event a projector cannot apply halts only its county.

Every projection keeps, beside its rows, which county each aggregate belongs to (``partitions``, learned from the
first event that names a county). When a batch fails, the projector applies it again event by event, each in its
own savepoint: an event that still fails *halts its county* (``halted_partitions``: the event and the error) and is
parked (``parked_events``), as is every later event of that county; every other county goes on. Nothing is skipped
silently: the county's reads answer 503 naming the event and the error, ``/ready`` and ``/projections`` show it,
and ``xiaofei projections retry NAME --county C`` applies the parked events again, in log order, once the cause
is fixed. An aggregate that names only an organisation (a claim ledger) belongs to the organisation's county. An
event of no county (a national parameter, a token) that fails still halts the whole projection, as before: there
is no smaller part to stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.ids import organisation_id

PARTITION_DDL = """
CREATE TABLE IF NOT EXISTS partitions (
    originator_id  uuid PRIMARY KEY,
    county         text NOT NULL
);
CREATE TABLE IF NOT EXISTS halted_partitions (
    county              text PRIMARY KEY,
    position            bigint NOT NULL,
    topic               text NOT NULL,
    originator_id       uuid NOT NULL,
    originator_version  integer NOT NULL,
    error               text NOT NULL
);
CREATE TABLE IF NOT EXISTS parked_events (
    position  bigint PRIMARY KEY,
    county    text NOT NULL
);
"""


def _county_code(value: Any) -> str | None:
    """A county's 6-digit code (a city or province code, ending in 00, spans counties: no single partition)."""
    if isinstance(value, str) and len(value) == 6 and value.isdigit() and not value.endswith("00"):
        return value
    return None


def named_county(event: Any) -> str | None:
    for attr in ("county", "scope", "code"):
        code = _county_code(getattr(event, attr, None))
        if code is not None:
            return code
    return None


class Partitions:
    """Partition lookups within one batch's transaction."""

    def __init__(self, cur: psycopg.Cursor[DictRow]) -> None:
        self.cur = cur
        self.known: dict[UUID, str | None] = {}

    def record(self, events: Sequence[Any]) -> None:
        """Remember the county of every aggregate whose event names one (the first such event decides)."""
        rows = {}
        for e in events:
            if e.originator_id in rows:
                continue
            county = named_county(e)
            if county is None and isinstance(getattr(e, "organisation", None), str):
                # an aggregate of one organisation (its claim ledger): the organisation's county
                county = rows.get(org := organisation_id(e.organisation)) or self.of(org)
            if county is not None:
                rows[e.originator_id] = county
        if rows:
            self.cur.execute("INSERT INTO partitions SELECT * FROM unnest(%s::uuid[], %s::text[])"
                             " ON CONFLICT (originator_id) DO NOTHING", (list(rows), list(rows.values())))
            self.known.update(rows)

    def of(self, originator_id: UUID, event: Any | None = None) -> str | None:
        county = named_county(event) if event is not None else None
        if county is not None:
            return county
        if originator_id not in self.known:
            self.cur.execute("SELECT county FROM partitions WHERE originator_id = %s", (originator_id,))
            row = self.cur.fetchone()
            self.known[originator_id] = row["county"] if row else None
        return self.known[originator_id]

    def halted(self) -> set[str]:
        self.cur.execute("SELECT county FROM halted_partitions")
        return {r["county"] for r in self.cur.fetchall()}

    def halt(self, county: str, position: int, topic: str, originator_id: UUID, version: int, error: str) -> None:
        self.cur.execute("INSERT INTO halted_partitions VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (county) DO NOTHING",
                         (county, position, topic, originator_id, version, error[:2000]))

    def park(self, position: int, county: str) -> None:
        self.cur.execute("INSERT INTO parked_events VALUES (%s, %s) ON CONFLICT (position) DO NOTHING",
                         (position, county))
