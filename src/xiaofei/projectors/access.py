"""The access read model: tokens by hash, with role, scope and revocation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import DictRow

from xiaofei.domain.access import ApiToken
from xiaofei.projectors.base import BatchProjection


class AccessProjection(BatchProjection):
    name = "access"

    def apply(self, cur: psycopg.Cursor[DictRow], events: Sequence[Any]) -> None:
        for e in events:
            if isinstance(e, ApiToken.Issued):
                cur.execute(
                    "INSERT INTO tokens (token_id, token_hash, role, counties, organisation_id, label, issued_by,"
                    " issued_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    (e.originator_id, e.token_hash, e.role, list(e.counties), e.organisation_id, e.label, e.actor,
                     e.timestamp))
            elif isinstance(e, ApiToken.Revoked):
                cur.execute("UPDATE tokens SET revoked_at = %s, revoked_reason = %s WHERE token_id = %s",
                            (e.timestamp, e.reason, e.originator_id))


