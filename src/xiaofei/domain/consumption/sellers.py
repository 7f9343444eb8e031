"""A seller (市场主体) is a registered organisation (``employment.Organisation``: credit code, form, county,
address) that applies for certification. Its ``Seller`` aggregate holds what only a seller has: the benefit
linkage it declares (联农带农机制) — which must exist before any of its products can be certified."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.errors import invalid

MECHANISMS: dict[str, str] = {
    "procurement": "订单收购",
    "revenue_share": "产品收益分红",
    "land_rent": "土地流转租金",
    "dividend": "入股分红",
    "wages": "务工",
}
SELLER_FORMS = ("enterprise", "cooperative", "family_farm", "village_collective")


def check_mechanisms(mechanisms: list[str], field: str = "mechanisms") -> list[str]:
    unknown = [m for m in mechanisms if m not in MECHANISMS]
    if unknown or not mechanisms:
        raise invalid(field, "name one or more of " + ", ".join(f"{k} ({v})" for k, v in MECHANISMS.items()))
    return sorted(set(mechanisms))


class Seller(Aggregate):
    """The seller side of an organisation, by credit code."""

    @staticmethod
    def create_id(credit_code: str) -> UUID:
        return ids.seller_id(credit_code)

    class Opened(Aggregate.Created):
        credit_code: str
        county: str
        name: str
        form: str

    @event(Opened)
    def __init__(self, credit_code: str, county: str, name: str, form: str) -> None:
        self.credit_code = credit_code
        self.county = county
        self.name = name
        self.form = form
        self.linkage: dict[str, object] | None = None

    class LinkageDeclared(Aggregate.Event):
        mechanisms: list[str]
        description: str
        declared_on: date
        actor: str

    def declare_linkage(self, mechanisms: list[str], description: str, declared_on: date, actor: str) -> None:
        if not description.strip():
            raise invalid("description", "say how households benefit (联农带农机制)")
        self._linkage_declared(mechanisms=check_mechanisms(mechanisms), description=description.strip(),
                               declared_on=declared_on, actor=actor)

    @event(LinkageDeclared)
    def _linkage_declared(self, mechanisms: list[str], description: str, declared_on: date, actor: str) -> None:
        self.linkage = {"mechanisms": mechanisms, "description": description, "declared_on": declared_on}
