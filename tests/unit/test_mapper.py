from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from xiaofei.domain.registry import Household, Member
from xiaofei.persistence import MsgspecMapper, MsgspecTranscoder


def _mapper() -> MsgspecMapper:
    return MsgspecMapper(transcoder=MsgspecTranscoder())


def _member() -> Member:
    return Member(person_number="p1", name="王芳", id_hash="h" * 64, id_masked="3607**********8277",
                  id_sealed="s", sex="F", birth_date=date(1971, 9, 13), relation="head", labour_capacity="normal")


def test_round_trip_gives_back_typed_values() -> None:
    h = Household(county="360724", household_number="1", village_code="360724100001", category="poor",
                  subtype=None, causes=["illness"], members=[_member()], effective_date=date(2015, 1, 1),
                  source="api", actor="t")
    original = h.collect_events()[0]
    mapper = _mapper()
    stored = mapper.to_stored_event(original)
    assert b'"birth_date":"1971-09-13"' in stored.state
    copy = mapper.to_domain_event(stored)
    assert copy.originator_id == original.originator_id
    assert copy.effective_date == date(2015, 1, 1)
    assert copy.timestamp == original.timestamp
    assert isinstance(copy.members[0], Member)
    assert copy.members[0] == _member()
    rebuilt = copy.mutate(None)
    assert rebuilt.members["p1"].birth_date == date(1971, 9, 13)


class Account(Aggregate):
    class Opened(Aggregate.Created):
        owner: str

    @event(Opened)
    def __init__(self, owner: str) -> None:
        self.owner = owner

    class Credited(Aggregate.Event):
        class_version: ClassVar[int] = 2
        amount: Decimal
        currency: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["currency"] = "CNY"


def test_upcasting_runs_before_typed_decoding() -> None:
    mapper = _mapper()
    v1_state = b'{"timestamp":"2020-01-01T00:00:00+00:00","amount":"12.50"}'
    stored = StoredEvent(originator_id=uuid4(), originator_version=2,
                         topic="tests.unit.test_mapper:Account.Credited", state=v1_state)
    e = mapper.to_domain_event(stored)
    assert e.amount == Decimal("12.50")
    assert e.currency == "CNY"


def test_a_state_that_does_not_fit_its_class_fails_loudly() -> None:
    stored = StoredEvent(originator_id=uuid4(), originator_version=2,
                         topic="tests.unit.test_mapper:Account.Credited",
                         state=b'{"timestamp":"2020-01-01T00:00:00+00:00","amount":"x","class_version":2,'
                               b'"currency":"CNY"}')
    with pytest.raises(MapperDeserialisationError):
        _mapper().to_domain_event(stored)
