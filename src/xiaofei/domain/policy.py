"""Policy books: the versioned parameter records of one scope (national, province, city or county)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from xiaofei.domain.ids import policy_book_id


class PolicyBook(Aggregate):
    """All parameter versions recorded for one scope. Nothing is overwritten: a change is a new version."""

    @staticmethod
    def create_id(scope: str) -> UUID:
        return policy_book_id(scope)

    class Opened(Aggregate.Created):
        scope: str

    @event(Opened)
    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.adopted_presets: list[str] = []
        # (name, value, effective_from, effective_to, source, era), in the order recorded
        self.versions: list[tuple[str, str, date, date | None, str, str]] = []

    class ParameterRecorded(Aggregate.Event):
        name: str
        value: str
        effective_from: date
        effective_to: date | None
        source: str
        era: str
        actor: str

    @event(ParameterRecorded)
    def record_parameter(self, name: str, value: str, effective_from: date, effective_to: date | None, source: str,
                         era: str, actor: str) -> None:
        # Callers validate ``value`` against the parameter catalogue (xiaofei.rules.parameters) first.
        self.versions.append((name, value, effective_from, effective_to, source, era))

    class PresetAdopted(Aggregate.Event):
        preset: str
        effective_from: date
        actor: str

    @event(PresetAdopted)
    def adopt_preset(self, preset: str, effective_from: date, actor: str) -> None:
        self.adopted_presets.append(preset)
