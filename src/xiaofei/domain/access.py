"""Access: API tokens with a role and a scope (counties, or one organisation)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.errors import Conflict, invalid

ROLES: dict[str, str] = {
    "admin": "platform operator",
    "county_official": "乡村振兴局/扶贫办/人社局 staff",
    "auditor": "audit and discipline staff (read-only)",
    "province_official": ("province 乡村振兴局 staff: the dashboards of the province's counties, side by side; "
                          "records its own province's parameters (e.g. the monitoring line)"),
    "national_official": "national 乡村振兴局 staff: the national reporting views (every province's county figures)",
    "seller": "certified market entity",
    "employer": "enterprise or cooperative running workshops",
    "buyer": "budget unit, enterprise, union or individual",
}
COUNTY_SCOPED_ROLES = frozenset({"county_official", "auditor"})
PROVINCE_SCOPED_ROLES = frozenset({"province_official"})
ORGANISATION_SCOPED_ROLES = frozenset({"seller", "employer", "buyer"})
UNSCOPED_ROLES = frozenset({"admin", "national_official"})


def check_scope(role: str, counties: list[str], organisation_id: str | None) -> None:
    if role not in ROLES:
        raise invalid("role", f"must be one of {', '.join(ROLES)}")
    if role in COUNTY_SCOPED_ROLES and not counties:
        raise invalid("counties", f"{role} tokens need at least one county")
    if role in ORGANISATION_SCOPED_ROLES and not organisation_id:
        raise invalid("organisation_id", f"{role} tokens are scoped to one organisation")
    if role in UNSCOPED_ROLES and (counties or organisation_id):
        raise invalid("counties", f"{'an' if role[0] in 'aeiou' else 'a'} {role} token is not scoped")
    if role in PROVINCE_SCOPED_ROLES and not counties:
        raise invalid("counties", f"{role} tokens need at least one province code (e.g. 530000)")
    for code in counties:
        if len(code) != 6 or not code.isdigit():
            raise invalid("counties", f"{code!r} is not a 6-digit county code")
        if role in PROVINCE_SCOPED_ROLES and not code.endswith("0000"):
            raise invalid("counties", f"{code!r} is not a province code (xx0000)")


class ApiToken(Aggregate):
    """A bearer token. Only its SHA-256 hash is ever stored; the secret is shown once, at issue."""

    @staticmethod
    def create_id(token_hash: str) -> UUID:
        return ids.api_token_id(token_hash)

    class Issued(Aggregate.Created):
        token_hash: str
        role: str
        counties: list[str]
        organisation_id: str | None
        label: str
        actor: str

    @event(Issued)
    def __init__(
        self, token_hash: str, role: str, counties: list[str], organisation_id: str | None, label: str, actor: str
    ) -> None:
        self.token_hash = token_hash
        self.role = role
        self.counties = list(counties)
        self.organisation_id = organisation_id
        self.label = label
        self.revoked = False

    class Revoked(Aggregate.Event):
        reason: str
        actor: str

    def revoke(self, reason: str, actor: str) -> None:
        if self.revoked:
            raise Conflict("the token is already revoked")
        self._revoked(reason=reason, actor=actor)

    @event(Revoked)
    def _revoked(self, reason: str, actor: str) -> None:
        self.revoked = True


class FirstAdminIssued(Aggregate):
    """Marks that the first start created the admin token, so a second start does not make another."""

    @staticmethod
    def create_id() -> UUID:
        return ids.bootstrap_marker_id()

    class Marked(Aggregate.Created):
        token_id: str

    @event(Marked)
    def __init__(self, token_id: str) -> None:
        self.token_id = token_id
