"""Policy use cases: record a parameter version, adopt a preset (recorded as explicit versions)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from eventsourcing.application import AggregateNotFoundError

from xiaofei.application.app import XiaofeiApplication
from xiaofei.domain.codes import check_in_province
from xiaofei.domain.errors import invalid
from xiaofei.domain.policy import PolicyBook
from xiaofei.rules.parameters import (
    ERAS,
    PRESETS,
    ParameterVersion,
    era_on,
    in_force,
    overlaps_era,
    parse_value,
    scope_chain,
)

def check_scope(scope: str) -> str:
    if scope != "national" and not re.fullmatch(r"\d{6}", scope):
        raise invalid("scope", "is 'national' or a 6-digit division code (province xx0000, city xxxx00, county)")
    return scope


class PolicyService:
    def __init__(self, app: XiaofeiApplication, province: str | None = None) -> None:
        self.app = app
        self.province = province
        """XIAOFEI_PROVINCE: a scope of another province (its code or a county's) is refused."""

    def _served(self, scope: str) -> str:
        check_scope(scope)
        return scope if scope == "national" else check_in_province(scope, self.province, "scope")

    def _book(self, scope: str) -> PolicyBook:
        try:
            return self.app.repository.get(PolicyBook.create_id(scope))
        except AggregateNotFoundError:
            return PolicyBook(scope=scope)

    def _save(self, scope: str, change: Callable[[PolicyBook], None]) -> int:
        return self.app.update(lambda: (self._book(scope),), change)

    def versions_for(self, county: str) -> list[ParameterVersion]:
        """Every parameter version recorded for the scopes that apply to ``county`` (write-side lookups)."""
        out: list[ParameterVersion] = []
        for scope in scope_chain(county):
            try:
                book: PolicyBook = self.app.repository.get(PolicyBook.create_id(scope))
            except AggregateNotFoundError:
                continue
            out.extend(ParameterVersion(name=name, value=value, scope=scope, effective_from=start, effective_to=end,
                                        source=source, era=era, seq=i + 1)
                       for i, (name, value, start, end, source, era) in enumerate(book.versions))
        return out

    def record_parameter(self, scope: str, name: str, value: str, effective_from: date, effective_to: date | None,
                         source: str, era: str | None, actor: str) -> int:
        self._served(scope)
        era = era or era_on(effective_from)
        parse_value(name, value)
        if effective_to is not None and effective_to < effective_from:
            raise invalid("effective_to", "must not be before effective_from")
        if era not in ERAS:
            raise invalid("era", f"must be one of {', '.join(ERAS)}")
        if not overlaps_era(era, effective_from, effective_to):
            raise invalid("era", f"{era} (攻坚期 2013–2020, 过渡期 2021–) does not overlap the version's dates")
        if not source.strip():
            raise invalid("source", "say where the value comes from (document title and number, or the report's name)")
        return self._save(scope, lambda b: b.record_parameter(name, value.strip(), effective_from, effective_to,
                                                              source.strip(), era, actor))

    def adopt_preset(self, scope: str, preset_name: str, effective_from: date | None, actor: str) -> int:
        self._served(scope)
        preset = PRESETS.get(preset_name)
        if preset is None:
            raise invalid("preset", f"unknown preset; one of {', '.join(PRESETS)}")
        start = effective_from or preset.effective_from
        if preset.effective_to is not None and start > preset.effective_to:
            raise invalid("effective_from", f"preset {preset.name} ended on {preset.effective_to.isoformat()}")
        lookup = "000000" if scope == "national" else scope
        versions = self.versions_for(lookup)
        for name in preset.requires:
            if in_force(versions, name, lookup, start).typed() is None:
                raise invalid(name, f"preset {preset.name} applies this rule with the local value: record "
                                    f"{name} for {scope} from {start.isoformat()} first")
        # A preset adopted later than its own era is recorded in the era of its start (its values, not its label).
        era = preset.era if overlaps_era(preset.era, start, preset.effective_to) else era_on(start)

        def adopt(book: PolicyBook) -> None:
            book.adopt_preset(preset.name, start, actor)
            for name, value in preset.values.items():
                book.record_parameter(name, value, start, preset.effective_to, f"preset {preset.name}: {preset.source}",
                                      era, actor)

        return self._save(scope, adopt)
