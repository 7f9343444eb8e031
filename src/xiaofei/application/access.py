"""Token use cases: issue (secret shown once), revoke, and the first admin token on first start."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from xiaofei.application.app import XiaofeiApplication
from xiaofei.domain import ids
from xiaofei.domain.access import ApiToken, FirstAdminIssued, check_scope
from xiaofei.domain.codes import check_in_province
from xiaofei.domain.errors import Conflict, NotFound, invalid

TOKEN_PREFIX = "xf_"
ADMIN_REVOCATION_LOCK = "xiaofei:admin-token-revocation"
"""The advisory lock one revocation of an admin token holds from its check to its record (every process)."""
LOCK_WAIT_SECONDS = 5.0


def hash_token(secret: str) -> str:
    """Tokens are 256-bit random, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token_id: UUID
    secret: str
    role: str
    counties: list[str]
    organisation_id: str | None
    position: int


class AccessService:
    def __init__(self, app: XiaofeiApplication, province: str | None = None) -> None:
        self.app = app
        self.province = province

    def _new(self, role: str, counties: list[str], organisation_id: str | None, label: str, actor: str) -> tuple[ApiToken, str]:
        counties = sorted(set(counties))
        check_scope(role, counties, organisation_id)
        for code in counties:
            check_in_province(code, self.province, "counties")
        if len(label) > 200:
            raise invalid("label", "at most 200 characters")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(token_hash=hash_token(secret), role=role, counties=counties,
                         organisation_id=organisation_id, label=label, actor=actor)
        return token, secret

    def issue(self, role: str, counties: list[str], organisation_id: str | None, label: str, actor: str) -> IssuedToken:
        token, secret = self._new(role, counties, organisation_id, label, actor)
        if organisation_id is not None and not self._registered(organisation_id):
            raise invalid("organisation_id", f"no organisation or buyer {organisation_id} is registered")
        position = self.app.record(token)
        return IssuedToken(token.id, secret, token.role, token.counties, token.organisation_id, position)

    def _registered(self, key: str) -> bool:
        """A seller or employer is an organisation (by credit code); a buyer has a buyer record (by its key)."""
        for aggregate_id in (ids.organisation_id(key), ids.buyer_id(key)):
            try:
                self.app.repository.get(aggregate_id)
                return True
            except AggregateNotFoundError:
                continue
        return False

    def revoke(self, token_id: UUID, reason: str, actor: str) -> int:
        if not reason.strip():
            raise invalid("reason", "is required")
        try:
            token: ApiToken = self.app.repository.get(token_id)
        except AggregateNotFoundError:
            raise NotFound(f"no token {token_id}") from None
        if not isinstance(token, ApiToken):
            raise NotFound(f"no token {token_id}")
        if token.role != "admin":
            token.revoke(reason, actor)
            return self.app.record(token)
        # The last active admin token is never revoked: only the server's CLI could issue another. Two revocations
        # racing for the last two admin tokens take turns, so the second one sees the first.
        with self._one_admin_revocation_at_a_time():
            token = self.app.repository.get(token_id)
            token.revoke(reason, actor)  # 409 when it was revoked meanwhile
            if not self._other_active_admins(token_id):
                raise Conflict("this is the last active admin token: revoking it would leave no one able to issue "
                               "or revoke tokens; issue another admin token first, then revoke this one")
            return self.app.record(token)

    def _other_active_admins(self, token_id: UUID) -> list[UUID]:
        """Admin tokens other than ``token_id`` that are not revoked, as their own events say. The access model
        names the candidates; when it names none, it is given up to 2 s to reach the head of the log (an admin
        token issued a moment ago), and one it still lacks is not counted: that can only refuse a revocation,
        never allow one too many."""
        head = self.app.head_position()
        deadline = time.monotonic() + 2.0
        while True:
            with self.app.recorder.datastore.get_connection() as conn, conn.cursor() as cur:  # type: ignore[attr-defined]
                cur.execute("SELECT token_id FROM rm_access.tokens WHERE role = 'admin' AND token_id <> %s",
                            (token_id,))
                candidates = [row["token_id"] for row in cur.fetchall()]
                cur.execute("SELECT notification_id FROM rm_access.tracking WHERE application_name = %s",
                            (self.app.name,))
                tracked = cur.fetchone()
            found = self.app.get_many(candidates, copy=False)
            active = [i for i, t in found.items() if isinstance(t, ApiToken) and t.role == "admin" and not t.revoked]
            caught_up = tracked is not None and tracked["notification_id"] >= head
            if active or caught_up or time.monotonic() > deadline:
                return active
            time.sleep(0.02)

    @contextmanager
    def _one_admin_revocation_at_a_time(self) -> Iterator[None]:
        """Hold a transaction-level advisory lock on one pooled connection while the caller checks and records; a
        waiting caller does not hold a connection (it retries), so waiters cannot take the pool the holder needs."""
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            with self.app.recorder.datastore.get_connection() as conn, conn.transaction():  # type: ignore[attr-defined]
                row = conn.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s)) AS got",
                                   (ADMIN_REVOCATION_LOCK,)).fetchone()
                if row["got"]:
                    yield
                    return
            if time.monotonic() > deadline:
                raise Conflict("another admin token is being revoked at this moment; try again")
            time.sleep(0.02)

    def issue_first_admin(self) -> IssuedToken | None:
        """On the very first start: create an admin token. Returns None when one was made before."""
        token, secret = self._new("admin", [], None, "first admin (created on first start)", "system:first-start")
        marker = FirstAdminIssued(token_id=str(token.id))
        try:
            position = self.app.record(token, marker)
        except IntegrityError:
            return None
        return IssuedToken(token.id, secret, "admin", [], None, position)

    def first_admin_exists(self) -> bool:
        try:
            self.app.repository.get(FirstAdminIssued.create_id())
        except AggregateNotFoundError:
            return False
        return True
