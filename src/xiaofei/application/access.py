"""Token use cases: issue (secret shown once), revoke, and the first admin token on first start."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from xiaofei.application.app import XiaofeiApplication
from xiaofei.domain import ids
from xiaofei.domain.access import ApiToken, FirstAdminIssued, check_scope
from xiaofei.domain.codes import check_in_province
from xiaofei.domain.errors import NotFound, invalid

TOKEN_PREFIX = "xf_"


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
        token.revoke(reason, actor)
        return self.app.record(token)

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
