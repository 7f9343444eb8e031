"""Registry (建档立卡 and monitoring): counties and households with members, categories and declared income."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from xiaofei.domain import ids
from xiaofei.domain.bounds import check_fen
from xiaofei.domain.errors import AlreadyExists, FieldProblem, InvalidInput, NotFound, invalid

CATEGORIES: dict[str, str] = {
    "poor": "贫困户",
    "exited": "脱贫户",
    "monitored": "监测对象",
    "ordinary": "一般农户",
}
MONITORED_SUBTYPES: dict[str, str] = {
    "unstable_exited": "脱贫不稳定户",
    "edge_at_risk": "边缘易致贫户",
    "sudden_hardship": "突发严重困难户",
}
POVERTY_CAUSES: dict[str, str] = {
    "illness": "因病",
    "disability": "因残",
    "schooling": "因学",
    "disaster": "因灾",
    "lack_land": "缺土地",
    "lack_water": "缺水",
    "lack_skills": "缺技术",
    "lack_labour": "缺劳力",
    "lack_capital": "缺资金",
    "poor_transport": "交通条件落后",
    "lack_motivation": "自身发展动力不足",
    "other": "其他",
}
LABOUR_CAPACITIES: dict[str, str] = {
    "normal": "普通劳动力",
    "weak": "弱劳动力",
    "lost": "丧失劳动力",
    "none": "无劳动力",
}
RELATIONS: dict[str, str] = {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "grandchild": "孙子女",
    "sibling": "兄弟姐妹",
    "child_in_law": "儿媳/女婿",
    "other": "其他",
}
TRANSITION_REASONS: dict[str, str] = {
    "identified": "识别纳入",
    "risk_cleared": "风险消除",
    "exited": "脱贫",
    "returned_to_poverty": "返贫",
    "correction": "更正",
}
OTHER_INCOME_TYPES: dict[str, tuple[str, str]] = {
    # type: (Chinese, income class it belongs to in the attribution projection)
    "migrant_wages": ("外出务工收入", "wage"),
    "local_wages": ("本地务工收入", "wage"),
    "farming": ("种养殖经营收入", "operating"),
    "rent_dividends": ("租金股金分红", "property"),
    "dibao": ("低保金", "transfer"),
    "pension": ("养老金", "transfer"),
    "farm_subsidy": ("农业补贴", "transfer"),
    "other_transfer": ("其他转移性收入", "transfer"),
}


class Member(msgspec.Struct, frozen=True, kw_only=True):
    """A household member as the registry holds it. The ID number itself never appears in clear."""

    person_number: str
    name: str
    id_hash: str
    """Keyed hash (HMAC-SHA256) of the ID number, for matching workers and suppliers."""
    id_masked: str
    id_sealed: str
    """The ID number encrypted (AES-GCM); opened only for an official of the county with a stated purpose."""
    sex: str
    birth_date: date
    relation: str
    labour_capacity: str
    disability: str | None = None


def check_category(category: str, subtype: str | None, field: str = "category") -> None:
    if category not in CATEGORIES:
        raise invalid(field, f"must be one of {', '.join(CATEGORIES)}")
    if category == "monitored":
        if subtype not in MONITORED_SUBTYPES:
            raise invalid("subtype", f"a monitored household needs one of {', '.join(MONITORED_SUBTYPES)}")
    elif subtype is not None:
        raise invalid("subtype", "only a monitored household has a subtype")


def check_causes(causes: list[str], field: str = "causes") -> None:
    for cause in causes:
        if cause not in POVERTY_CAUSES:
            raise invalid(field, f"unknown poverty cause {cause!r}; one of {', '.join(POVERTY_CAUSES)}")


def check_member_values(member: Member, field: str = "members") -> None:
    if not member.person_number.strip():
        raise invalid(f"{field}.person_number", "is required")
    if not member.name.strip():
        raise invalid(f"{field}.name", "is required")
    if member.relation not in RELATIONS:
        raise invalid(f"{field}.relation", f"must be one of {', '.join(RELATIONS)}")
    if member.labour_capacity not in LABOUR_CAPACITIES:
        raise invalid(f"{field}.labour_capacity", f"must be one of {', '.join(LABOUR_CAPACITIES)}")


AREA_NAME_MAX = 60


class County(Aggregate):
    """A county (县) the platform serves, by its 6-digit division code."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return ids.county_id(code)

    class Registered(Aggregate.Created):
        code: str
        name: str
        province: str
        actor: str

    @event(Registered)
    def __init__(self, code: str, name: str, province: str, actor: str) -> None:
        self.code = code
        self.name = name
        self.province = province
        self.areas: dict[str, str] = {}
        """Names of the county's townships (乡镇, 9-digit codes) and villages (行政村, 12-digit codes)."""

    class AreasNamed(Aggregate.Event):
        names: dict[str, str]
        """Area code → name: only the names new or changed by this event."""
        actor: str

    def name_areas(self, names: dict[str, str], actor: str) -> bool:
        """Record the names of townships and villages of this county; a name already recorded is left as it is.
        Returns whether anything changed."""
        problems = []
        clean: dict[str, str] = {}
        for code, name in sorted(names.items()):
            name = name.strip()
            if not (len(code) in (9, 12) and code.isdigit() and code.startswith(self.code)):
                problems.append(FieldProblem(f"areas[{code}]", f"is not a 9-digit township or 12-digit village code "
                                                               f"of county {self.code}"))
            elif not name or len(name) > AREA_NAME_MAX:
                problems.append(FieldProblem(f"areas[{code}]", f"name must be 1–{AREA_NAME_MAX} characters"))
            elif self.areas.get(code) != name:
                clean[code] = name
        if problems:
            raise InvalidInput(problems)
        if clean:
            self._areas_named(names=clean, actor=actor)
        return bool(clean)

    @event(AreasNamed)
    def _areas_named(self, names: dict[str, str], actor: str) -> None:
        self.areas = {**getattr(self, "areas", {}), **names}


class Household(Aggregate):
    """A registered household (户). Its id is derived from county and household number (户编号)."""

    @staticmethod
    def create_id(county: str, household_number: str) -> UUID:
        return ids.household_id(county, household_number)

    class Registered(Aggregate.Created):
        county: str
        household_number: str
        village_code: str
        category: str
        subtype: str | None
        causes: list[str]
        members: list[Member]
        effective_date: date
        source: str
        actor: str

    @event(Registered)
    def __init__(
        self,
        county: str,
        household_number: str,
        village_code: str,
        category: str,
        subtype: str | None,
        causes: list[str],
        members: list[Member],
        effective_date: date,
        source: str,
        actor: str,
    ) -> None:
        self.county = county
        self.household_number = household_number
        self.village_code = village_code
        self.category = category
        self.subtype = subtype
        self.causes = list(causes)
        self.members: dict[str, Member] = {m.person_number: m for m in members}
        self.former_members: dict[str, Member] = {}
        self.category_history: list[tuple[date, str, str | None, str]] = [
            (effective_date, category, subtype, "identified")
        ]
        self.other_income: dict[tuple[int, str], int] = {}
        self.id_reveal_count = 0

    @staticmethod
    def check_registration(category: str, subtype: str | None, causes: list[str], members: list[Member]) -> None:
        check_category(category, subtype)
        check_causes(causes)
        if not members:
            raise invalid("members", "a household has at least one member")
        seen_numbers: set[str] = set()
        seen_ids: set[str] = set()
        for i, member in enumerate(members):
            check_member_values(member, f"members[{i}]")
            if member.person_number in seen_numbers:
                raise invalid(f"members[{i}].person_number", f"{member.person_number} appears twice")
            if member.id_hash in seen_ids:
                raise invalid(f"members[{i}].id_number", "the same ID number appears twice in the household")
            seen_numbers.add(member.person_number)
            seen_ids.add(member.id_hash)
        heads = [m for m in members if m.relation == "head"]
        if len(heads) != 1:
            raise invalid("members", f"a household has exactly one head (relation 'head'), found {len(heads)}")

    # -- members ---------------------------------------------------------------------------------

    class MemberAdded(Aggregate.Event):
        member: Member
        joined_on: date
        reason: str
        actor: str

    def add_member(self, member: Member, joined_on: date, reason: str, actor: str) -> None:
        check_member_values(member, "member")
        if member.person_number in self.members or member.person_number in self.former_members:
            raise AlreadyExists(f"person number {member.person_number} is already used in this household")
        if any(m.id_hash == member.id_hash for m in self.members.values()):
            raise invalid("member.id_number", "this person is already a member of the household")
        if member.relation == "head":
            raise invalid("member.relation", "the household already has a head")
        self._member_added(member=member, joined_on=joined_on, reason=reason, actor=actor)

    @event(MemberAdded)
    def _member_added(self, member: Member, joined_on: date, reason: str, actor: str) -> None:
        self.members[member.person_number] = member

    class MemberRemoved(Aggregate.Event):
        person_number: str
        left_on: date
        reason: str
        actor: str

    def remove_member(self, person_number: str, left_on: date, reason: str, actor: str) -> None:
        member = self.members.get(person_number)
        if member is None:
            raise NotFound(f"no current member {person_number} in household {self.household_number}")
        if member.relation == "head":
            raise invalid("person_number", "the head of household cannot be removed")
        if not reason.strip():
            raise invalid("reason", "is required")
        self._member_removed(person_number=person_number, left_on=left_on, reason=reason, actor=actor)

    @event(MemberRemoved)
    def _member_removed(self, person_number: str, left_on: date, reason: str, actor: str) -> None:
        self.former_members[person_number] = self.members.pop(person_number)

    # -- category --------------------------------------------------------------------------------

    class CategoryChanged(Aggregate.Event):
        category: str
        subtype: str | None
        effective_date: date
        reason: str
        note: str
        actor: str

    def change_category(
        self, category: str, subtype: str | None, effective_date: date, reason: str, note: str, actor: str
    ) -> None:
        check_category(category, subtype)
        if reason not in TRANSITION_REASONS:
            raise invalid("reason", f"must be one of {', '.join(TRANSITION_REASONS)}")
        if (category, subtype) == (self.category, self.subtype):
            raise invalid("category", f"the household is already {category}" + (f"/{subtype}" if subtype else ""))
        last_effective = self.category_history[-1][0]
        if effective_date < last_effective:
            raise invalid("effective_date", f"must not be before the last change ({last_effective.isoformat()})")
        self._category_changed(
            category=category, subtype=subtype, effective_date=effective_date, reason=reason, note=note, actor=actor
        )

    @event(CategoryChanged)
    def _category_changed(
        self, category: str, subtype: str | None, effective_date: date, reason: str, note: str, actor: str
    ) -> None:
        self.category = category
        self.subtype = subtype
        self.category_history.append((effective_date, category, subtype, reason))

    # -- declared other income (年度收入核实) -------------------------------------------------------

    class OtherIncomeDeclared(Aggregate.Event):
        year: int
        income_type: str
        amount_fen: int
        note: str
        actor: str

    def declare_other_income(self, year: int, income_type: str, amount_fen: int, note: str, actor: str) -> None:
        if income_type not in OTHER_INCOME_TYPES:
            raise invalid("income_type", f"must be one of {', '.join(OTHER_INCOME_TYPES)}")
        if not 2013 <= year <= 2100:
            raise invalid("year", "must be between 2013 and 2100")
        check_fen("amount_fen", amount_fen)
        self._other_income_declared(year=year, income_type=income_type, amount_fen=amount_fen, note=note, actor=actor)

    @event(OtherIncomeDeclared)
    def _other_income_declared(self, year: int, income_type: str, amount_fen: int, note: str, actor: str) -> None:
        # A later declaration for the same year and type supersedes the earlier one (re-verification).
        self.other_income[(year, income_type)] = amount_fen

    # -- audit of ID number reveals ---------------------------------------------------------------

    class IdNumberRevealed(Aggregate.Event):
        person_number: str
        purpose: str
        actor: str

    def record_id_reveal(self, person_number: str, purpose: str, actor: str) -> None:
        self._id_number_revealed(person_number=person_number, purpose=purpose, actor=actor)

    @event(IdNumberRevealed)
    def _id_number_revealed(self, person_number: str, purpose: str, actor: str) -> None:
        # The event itself is the audit record; the household only counts how often IDs were opened.
        self.id_reveal_count += 1

    # -- reading ---------------------------------------------------------------------------------

    def same_registration(
        self, village_code: str, category: str, subtype: str | None, causes: list[str], members: list[Member]
    ) -> bool:
        """True when an import row says exactly what the registry already holds (ignoring sealed ids)."""

        def key(m: Member) -> tuple[Any, ...]:
            return (m.person_number, m.name, m.id_hash, m.relation, m.labour_capacity, m.disability)

        return (
            self.village_code == village_code
            and self.category == category
            and self.subtype == subtype
            and sorted(self.causes) == sorted(causes)
            and sorted(map(key, self.members.values())) == sorted(map(key, members))
        )
