"""Registry use cases: load → one domain decision → record. Each returns the log position it produced."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from xiaofei.application.app import XiaofeiApplication
from xiaofei.application.pii import IdProtector
from xiaofei.domain import ids
from xiaofei.domain.codes import (
    birth_date_from_id,
    check_county_code,
    check_in_province,
    check_village_code,
    normalise_id_number,
    sex_from_id,
)
from xiaofei.domain.clock import business_today
from xiaofei.domain.errors import AlreadyExists, NotFound, invalid
from xiaofei.domain.registry import County, Household, Member

A = TypeVar("A", bound=Aggregate)

@dataclass(frozen=True)
class MemberInput:
    person_number: str
    name: str
    id_number: str
    relation: str
    labour_capacity: str
    disability: str | None = None


@dataclass(frozen=True)
class HouseholdInput:
    household_number: str
    village_code: str
    category: str
    subtype: str | None
    causes: list[str]
    members: list[MemberInput]
    effective_date: date


class RegistryService:
    def __init__(self, app: XiaofeiApplication, protector: IdProtector, province: str | None = None) -> None:
        self.app = app
        self.protector = protector
        self.province = province

    # -- helpers ---------------------------------------------------------------------------------

    def member_from_input(self, m: MemberInput, field: str = "member") -> Member:
        id_number = normalise_id_number(m.id_number, f"{field}.id_number")
        return Member(
            person_number=m.person_number.strip(),
            name=m.name.strip(),
            id_hash=self.protector.hash(id_number),
            id_masked=self.protector.mask(id_number),
            id_sealed=self.protector.seal(id_number),
            sex=sex_from_id(id_number),
            birth_date=birth_date_from_id(id_number),
            relation=m.relation,
            labour_capacity=m.labour_capacity,
            disability=m.disability or None,
        )

    def check_county_registered(self, county: str) -> County:
        check_county_code(county)
        try:
            return self.app.repository.get(ids.county_id(county))
        except AggregateNotFoundError:
            raise NotFound(f"county {county} is not registered on this platform") from None

    def _update(self, aggregate_id: UUID, not_found: str, decide: Callable[[A], None]) -> int:
        def load() -> tuple[Aggregate]:
            try:
                return (self.app.repository.get(aggregate_id),)
            except AggregateNotFoundError:
                raise NotFound(not_found) from None

        return self.app.update(load, decide)

    def _household(self, county: str, household_number: str) -> tuple[UUID, str]:
        return ids.household_id(county, household_number), f"no household {household_number} in county {county}"

    # -- commands --------------------------------------------------------------------------------

    def register_county(self, code: str, name: str, province: str, actor: str) -> int:
        check_in_province(check_county_code(code, "code"), self.province, "code")
        if not name.strip():
            raise invalid("name", "is required")
        county = County(code=code, name=name.strip(), province=province.strip(), actor=actor)
        return self._create(county, f"county {code} is already registered")

    def name_areas(self, county: str, names: dict[str, str], actor: str) -> int:
        """The names of the county's townships and villages (its area list); names already recorded stay."""
        self.check_county_registered(county)
        return self._update(ids.county_id(county), f"county {county} is not registered on this platform",
                            lambda c: c.name_areas(names, actor))

    def _create(self, aggregate: Aggregate, exists_message: str) -> int:
        try:
            return self.app.record(aggregate)
        except IntegrityError:
            raise AlreadyExists(exists_message) from None

    def build_household(self, county: str, data: HouseholdInput, source: str, actor: str) -> Household:
        number = data.household_number.strip()
        if not number:
            raise invalid("household_number", "is required")
        check_village_code(data.village_code, county)
        members = [self.member_from_input(m, f"members[{i}]") for i, m in enumerate(data.members)]
        Household.check_registration(data.category, data.subtype, data.causes, members)
        household = Household(
            county=county,
            household_number=number,
            village_code=data.village_code,
            category=data.category,
            subtype=data.subtype,
            causes=list(data.causes),
            members=members,
            effective_date=data.effective_date,
            source=source,
            actor=actor,
        )
        return household

    def register_household(self, county: str, data: HouseholdInput, actor: str) -> int:
        self.check_county_registered(county)
        household = self.build_household(county, data, "api", actor)
        return self._create(household, f"household {data.household_number} is already registered in {county}")

    def add_member(
        self, county: str, household_number: str, member: MemberInput, joined_on: date, reason: str, actor: str
    ) -> int:
        _not_far_ahead("joined_on", joined_on)
        value = self.member_from_input(member)
        hid, missing = self._household(county, household_number)
        return self._update(hid, missing, lambda h: h.add_member(value, joined_on, reason, actor))

    def remove_member(
        self, county: str, household_number: str, person_number: str, left_on: date, reason: str, actor: str
    ) -> int:
        _not_far_ahead("left_on", left_on)
        hid, missing = self._household(county, household_number)
        return self._update(hid, missing, lambda h: h.remove_member(person_number, left_on, reason, actor))

    def change_category(
        self,
        county: str,
        household_number: str,
        category: str,
        subtype: str | None,
        effective_date: date,
        reason: str,
        note: str,
        actor: str,
    ) -> int:
        _not_far_ahead("effective_date", effective_date)
        hid, missing = self._household(county, household_number)
        return self._update(
            hid, missing, lambda h: h.change_category(category, subtype, effective_date, reason, note, actor)
        )

    def declare_other_income(
        self, county: str, household_number: str, year: int, income_type: str, amount_fen: int, note: str, actor: str
    ) -> int:
        hid, missing = self._household(county, household_number)
        return self._update(
            hid, missing, lambda h: h.declare_other_income(year, income_type, amount_fen, note, actor)
        )

    def household_history(self, county: str, household_number: str) -> list[dict[str, Any]]:
        """Every event of a household, oldest first, as auditors read them (sealed ID numbers left out). Every reader,
        officials too, reads birth years, not birth dates: with the mask's first and last four digits a birth date
        completes the number, and opening a number is done on the record (``reveal_id_number``)."""
        hid, missing = self._household(county, household_number)
        events = list(self.app.events.get(hid))
        if not events:
            raise NotFound(missing)
        out = []
        for e in events:
            state = msgspec.to_builtins({k: v for k, v in vars(e).items()
                                         if k not in ("originator_id", "originator_version", "timestamp")})
            for member in state.get("members", []) + ([state["member"]] if "member" in state else []):
                member.pop("id_sealed", None)
                if member.get("birth_date"):
                    member["birth_year"] = int(str(member.pop("birth_date"))[:4])
            out.append({"version": e.originator_version, "type": type(e).__qualname__, "recorded_at": e.timestamp,
                        "actor": state.pop("actor", None), "data": state})
        return out

    def reveal_id_number(self, county: str, household_number: str, person_number: str, purpose: str, actor: str) -> tuple[str, int]:
        """Open a member's sealed ID number; the reveal itself is recorded (who, why) for auditors."""
        if len(purpose.strip()) < 4:
            raise invalid("purpose", "state why the full ID number is needed (at least 4 characters)")
        hid, missing = self._household(county, household_number)
        revealed: list[str] = []

        def decide(h: Household) -> None:
            member = h.members.get(person_number) or h.former_members.get(person_number)
            if member is None:
                raise NotFound(f"no member {person_number} in household {household_number}")
            h.record_id_reveal(person_number, purpose.strip(), actor)
            revealed.append(self.protector.open(member.id_sealed))

        position = self._update(hid, missing, decide)
        return revealed[-1], position


MAX_DAYS_AHEAD = 366


def _not_far_ahead(field: str, day: date) -> None:
    """Registry dates may be planned a little ahead, not years: a change dated 9999-12-31 would block every later
    change (each must not be before the last)."""
    latest = business_today() + timedelta(days=MAX_DAYS_AHEAD)
    if day > latest:
        raise invalid(field, f"must not be later than {latest.isoformat()} (a year from today)")
    if day < EARLIEST_REGISTRY_DAY:
        raise invalid(field, f"must not be before {EARLIEST_REGISTRY_DAY.isoformat()}")


EARLIEST_REGISTRY_DAY = date(1950, 1, 1)
