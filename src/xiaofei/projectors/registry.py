"""The registry read model: counties and the names of their townships and villages, households, members, category
history, other income, counts by village."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.imports import HouseholdImport
from xiaofei.domain.registry import County, Household
from xiaofei.projectors.base import BatchProjection, copy_rows

_COPY_COLUMNS: dict[str, tuple[str, ...]] = {
    "households": ("county", "household_number", "household_id", "township_code", "village_code", "category",
                   "subtype", "category_since", "causes", "member_count", "registered_on", "source", "version",
                   "registered_at", "updated_at"),
    "members": ("county", "household_number", "person_number", "name", "id_masked", "id_hash", "sex", "birth_date",
                "relation", "labour_capacity", "disability", "joined_on"),
    "category_history": ("county", "household_number", "version", "effective_date", "category", "subtype", "reason",
                         "note", "recorded_at", "actor"),
}
_INSERT_MEMBER = """
INSERT INTO members (county, household_number, person_number, name, id_masked, id_hash, sex, birth_date,
    relation, labour_capacity, disability, joined_on)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
_INSERT_HISTORY = """
INSERT INTO category_history (county, household_number, version, effective_date, category, subtype, reason, note,
    recorded_at, actor)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


class RegistryProjection(BatchProjection):
    name = "registry"

    def apply(self, cur: psycopg.Cursor[DictRow], events: Sequence[Any]) -> None:
        # Households changed in this batch but registered in an earlier one: read their keys once.
        keys: dict[Any, tuple[str, str]] = {}
        for e in events:
            if isinstance(e, Household.Registered):
                keys[e.originator_id] = (e.county, e.household_number)
        wanted = {e.originator_id for e in events
                  if not isinstance(e, Household.Registered | County.Registered | County.AreasNamed | HouseholdImport.Completed)
                  and isinstance(e, Household.Event) and e.originator_id not in keys}
        state: dict[Any, dict[str, Any]] = {}
        if wanted:
            cur.execute(
                "SELECT household_id, county, household_number, village_code, category FROM households "
                "WHERE household_id = ANY(%s)", (list(wanted),))
            for r in cur.fetchall():
                keys[r["household_id"]] = (r["county"], r["household_number"])
                state[r["household_id"]] = {"village": r["village_code"], "category": r["category"]}

        counts: dict[tuple[str, str, str], int] = defaultdict(int)
        # Registrations (the bulk of any import) are buffered and written with COPY; any other event
        # flushes the buffer first, so statements still take effect in log order.
        buffered: dict[str, list[tuple[Any, ...]]] = {table: [] for table in _COPY_COLUMNS}

        def flush() -> None:
            for table, rows in buffered.items():
                copy_rows(cur, table, rows, _COPY_COLUMNS[table])
                rows.clear()

        for e in events:
            if isinstance(e, Household.Registered):
                self._registered(buffered, e)
                state[e.originator_id] = {"village": e.village_code, "category": e.category}
                counts[(e.county, e.village_code, e.category)] += 1
                continue
            flush()
            if isinstance(e, County.Registered):
                cur.execute("INSERT INTO counties (code, name, province, registered_at) VALUES (%s, %s, %s, %s)",
                            (e.code, e.name, e.province, e.timestamp))
                continue
            if isinstance(e, County.AreasNamed):
                cur.executemany(
                    "INSERT INTO areas (county, code, level, name, named_at) VALUES (%s, %s, %s, %s, %s)"
                    " ON CONFLICT (county, code) DO UPDATE SET name = EXCLUDED.name, named_at = EXCLUDED.named_at",
                    [(code[:6], code, "township" if len(code) == 9 else "village", name,
                      e.timestamp) for code, name in sorted(e.names.items())])
                continue
            if isinstance(e, HouseholdImport.Completed):
                cur.execute(
                    "INSERT INTO household_imports (county, file_sha256, filename, rows, registered, unchanged,"
                    " actor, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (e.county, e.file_sha256, e.filename, e.rows, e.registered, e.unchanged, e.actor, e.timestamp))
                continue
            if not isinstance(e, Household.Event):
                continue
            if e.originator_id not in keys:
                raise LookupError(f"household {e.originator_id} has events but no registration in the read model")
            county, number = keys[e.originator_id]
            if isinstance(e, Household.MemberAdded):
                m = e.member
                cur.execute(_INSERT_MEMBER, (county, number, m.person_number, m.name, m.id_masked, m.id_hash,
                                             m.sex, m.birth_date, m.relation, m.labour_capacity, m.disability,
                                             e.joined_on))
                self._touch(cur, e, county, number, members_delta=1)
            elif isinstance(e, Household.MemberRemoved):
                cur.execute("UPDATE members SET left_on = %s, left_reason = %s WHERE county = %s AND "
                            "household_number = %s AND person_number = %s",
                            (e.left_on, e.reason, county, number, e.person_number))
                self._touch(cur, e, county, number, members_delta=-1)
            elif isinstance(e, Household.CategoryChanged):
                old = state[e.originator_id]
                counts[(county, old["village"], old["category"])] -= 1
                counts[(county, old["village"], e.category)] += 1
                old["category"] = e.category
                cur.execute("UPDATE households SET category = %s, subtype = %s, category_since = %s "
                            "WHERE county = %s AND household_number = %s",
                            (e.category, e.subtype, e.effective_date, county, number))
                cur.execute(_INSERT_HISTORY, (county, number, e.originator_version, e.effective_date,
                                              e.category, e.subtype, e.reason, e.note, e.timestamp, e.actor))
                self._touch(cur, e, county, number)
            elif isinstance(e, Household.OtherIncomeDeclared):
                cur.execute(
                    "INSERT INTO other_income (county, household_number, year, income_type, amount_fen, note,"
                    " version, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (county, household_number, year, income_type) DO UPDATE SET"
                    " amount_fen = EXCLUDED.amount_fen, note = EXCLUDED.note, version = EXCLUDED.version,"
                    " recorded_at = EXCLUDED.recorded_at",
                    (county, number, e.year, e.income_type, e.amount_fen, e.note, e.originator_version,
                     e.timestamp))
                self._touch(cur, e, county, number)
            elif isinstance(e, Household.IdNumberRevealed):
                cur.execute("UPDATE households SET id_reveals = id_reveals + 1 WHERE county = %s AND "
                            "household_number = %s", (county, number))
                self._touch(cur, e, county, number)
        flush()
        changed = [(c, v, cat, n) for (c, v, cat), n in sorted(counts.items()) if n]
        if changed:
            cur.executemany(
                "INSERT INTO village_category_counts (county, village_code, category, households) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (county, village_code, category) "
                "DO UPDATE SET households = village_category_counts.households + EXCLUDED.households",
                changed)
            # A count that drops to zero disappears, so a rebuild (which nets deltas per batch) gives the same rows.
            cur.executemany(
                "DELETE FROM village_category_counts WHERE county = %s AND village_code = %s AND category = %s "
                "AND households = 0", [(c, v, cat) for c, v, cat, n in changed if n < 0])

    @staticmethod
    def _registered(buffered: dict[str, list[tuple[Any, ...]]], e: Any) -> None:
        buffered["households"].append((
            e.county, e.household_number, e.originator_id, e.village_code[:9], e.village_code, e.category,
            e.subtype, e.effective_date, list(e.causes), len(e.members), e.effective_date, e.source,
            e.originator_version, e.timestamp, e.timestamp))
        buffered["members"].extend(
            (e.county, e.household_number, m.person_number, m.name, m.id_masked, m.id_hash, m.sex, m.birth_date,
             m.relation, m.labour_capacity, m.disability, e.effective_date) for m in e.members)
        buffered["category_history"].append((e.county, e.household_number, e.originator_version, e.effective_date,
                                             e.category, e.subtype, "identified", "", e.timestamp, e.actor))

    @staticmethod
    def _touch(cur: psycopg.Cursor[DictRow], e: Any, county: str, number: str, members_delta: int = 0) -> None:
        cur.execute("UPDATE households SET version = %s, updated_at = %s, member_count = member_count + %s "
                    "WHERE county = %s AND household_number = %s",
                    (e.originator_version, e.timestamp, members_delta, county, number))
