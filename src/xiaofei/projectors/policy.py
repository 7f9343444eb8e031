"""The policy read model: parameter versions and preset adoptions by scope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.policy import PolicyBook
from xiaofei.projectors.base import BatchProjection

# The book's scope is on its Opened event; later events carry only the book id.
_SCOPE_OF = "SELECT scope FROM books WHERE book_id = %s"


class PolicyProjection(BatchProjection):
    name = "policy"

    def apply(self, cur: psycopg.Cursor[DictRow], events: Sequence[Any]) -> None:
        scopes: dict[Any, str] = {}
        for e in events:
            if isinstance(e, PolicyBook.Opened):
                scopes[e.originator_id] = e.scope
                cur.execute("INSERT INTO books (book_id, scope) VALUES (%s, %s)", (e.originator_id, e.scope))
            elif isinstance(e, PolicyBook.ParameterRecorded | PolicyBook.PresetAdopted):
                scope = scopes.get(e.originator_id)
                if scope is None:
                    cur.execute(_SCOPE_OF, (e.originator_id,))
                    scope = scopes[e.originator_id] = cur.fetchone()["scope"]  # type: ignore[index]
                if isinstance(e, PolicyBook.ParameterRecorded):
                    cur.execute(
                        "INSERT INTO parameter_versions (scope, seq, name, value, effective_from, effective_to,"
                        " source, era, actor, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (scope, e.originator_version, e.name, e.value, e.effective_from, e.effective_to, e.source,
                         e.era, e.actor, e.timestamp))
                else:
                    cur.execute("INSERT INTO preset_adoptions (scope, seq, preset, effective_from, recorded_at)"
                                " VALUES (%s, %s, %s, %s, %s)",
                                (scope, e.originator_version, e.preset, e.effective_from, e.timestamp))
