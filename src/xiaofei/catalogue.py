"""The event catalogue: one JSON Schema and one example per event type and version, kept in ``events/``.

``xiaofei events export`` writes it; ``tests/unit/test_event_catalogue.py`` fails when code and files differ,
so a change to an event's contract shows up as a visible diff.
"""

from __future__ import annotations

import inspect
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from xiaofei.domain import access, imports, policy, registry
from xiaofei.domain.registry import Member
from xiaofei.persistence import event_json_schema

AGGREGATES: tuple[type[Aggregate], ...] = (
    registry.County,
    registry.Household,
    imports.HouseholdImport,
    access.ApiToken,
    access.FirstAdminIssued,
    policy.PolicyBook,
)
_FIXED_TIME = datetime(2026, 1, 15, 2, 30, tzinfo=UTC)


def event_classes() -> list[type[Any]]:
    """Every event class the aggregates declare (their own nested classes, not the library's bases)."""
    out: list[type[Any]] = []
    for aggregate in AGGREGATES:
        for name, value in vars(aggregate).items():
            if inspect.isclass(value) and issubclass(value, Aggregate.Event) and name not in ("Event", "Created"):
                out.append(value)
    return out


def file_stem(event_class: type[Any]) -> str:
    return f"{event_class.__qualname__}.v{getattr(event_class, 'class_version', 1)}"


def _examples() -> dict[type[Any], Any]:
    member = Member(person_number="3607240000000101", name="王芳", id_hash="9" * 64,
                    id_masked="3607**********8277", id_sealed="c2VhbGVkLWV4YW1wbGU=", sex="F",
                    birth_date=date(1971, 9, 13), relation="head", labour_capacity="normal")
    child = msgspec.structs.replace(member, person_number="3607240000000102", name="王强", relation="child", id_hash="8" * 64,
                                    sex="M", birth_date=date(1998, 3, 2))
    county = registry.County(code="360724", name="上犹县", province="江西省", actor="token:admin")
    household = registry.Household(county="360724", household_number="36072400000001", village_code="360724100001",
                                    category="exited", subtype=None, causes=["illness"], members=[member],
                                    effective_date=date(2014, 9, 27), source="import", actor="token:official")
    household.add_member(child, date(2020, 5, 1), "returned home", "token:official")
    household.remove_member("3607240000000102", date(2024, 3, 1), "moved to Ganzhou for work", "token:official")
    household.change_category("monitored", "sudden_hardship", date(2025, 6, 1), "identified",
                              "hospitalisation costs", "token:official")
    household.declare_other_income(2025, "migrant_wages", 1_850_000, "verified at home visit", "token:official")
    household.record_id_reveal("3607240000000101", "bank account opening for wage subsidy", "token:official")
    batch = imports.HouseholdImport(county="360724", file_sha256="a" * 64, filename="上犹县-2025.csv", rows=3,
                                    registered=1, unchanged=0, actor="token:official")
    token = access.ApiToken(token_hash="b" * 64, role="county_official", counties=["360724"], organisation_id=None,
                            label="上犹县乡村振兴局", actor="token:admin")
    token.revoke("staff left the office", "token:admin")
    marker = access.FirstAdminIssued(token_id=str(UUID(int=1)))
    book = policy.PolicyBook(scope="360724")
    book.adopt_preset("shangyou-2017", date(2017, 1, 1), "token:official")
    book.record_parameter("subsidy.worker_wage_rate", "0.20", date(2017, 1, 1), None,
                          "preset shangyou-2017: seed 001 (上犹县)", "campaign", "token:official")
    examples: dict[type[Any], Any] = {}
    for aggregate in (county, household, batch, token, marker, book):
        for e in aggregate.collect_events():
            object.__setattr__(e, "timestamp", _FIXED_TIME)
            object.__setattr__(e, "originator_id", UUID(int=aggregate.version))
            examples.setdefault(type(e), e)
    return examples


def render() -> dict[str, str]:
    """File name → content of the whole catalogue."""
    examples = _examples()
    files: dict[str, str] = {}
    for cls in event_classes():
        stem = file_stem(cls)
        schema = event_json_schema(cls)
        schema["title"] = cls.__qualname__
        schema["x-topic"] = f"{cls.__module__}:{cls.__qualname__}"
        files[f"{stem}.schema.json"] = json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        if cls not in examples:
            raise LookupError(f"no example for {cls.__qualname__}: add one to catalogue._examples")
        state = {k: v for k, v in vars(examples[cls]).items() if k not in ("originator_id", "originator_version")}
        example = json.loads(msgspec.json.encode(state))
        files[f"{stem}.example.json"] = json.dumps(example, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return files


def export(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    files = render()
    for stale in folder.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return sorted(files)
