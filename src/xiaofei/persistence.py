"""Event encoding with msgspec, keeping eventsourcing's topics and upcasting.

Stored state is compact JSON written by msgspec. On the way back, the library's upcasting runs first
(``class_version`` and ``upcast_vN_vN+1`` on the event class), then the state is converted *typed* against
the event class's annotations, so UUID, date, datetime, Decimal and msgspec value objects come back as
themselves, and a state that no longer fits its class fails loudly instead of half-loading.
"""

from __future__ import annotations

import re
import typing
from functools import lru_cache
from typing import Any, ClassVar, cast

import msgspec
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import resolve_topic

from xiaofei.domain.errors import FieldProblem, InvalidInput

_IDENTITY_FIELDS = ("originator_id", "originator_version")
_CONTROL_ESCAPE = re.compile(rb"(?:^|[^\\])(?:\\\\)*\\u00[01][0-9a-fA-F]|\x7f")
"""A control character as msgspec writes it in a JSON string: an escape \\u0000-\\u001f after an even number of
backslashes (an odd run is a literal backslash followed by the letter u), or a raw DEL byte. \\b \\f \\n \\r \\t are
written as short escapes and pass here (they cannot break a text column); request fields refuse them."""


class MsgspecTranscoder(Transcoder):
    """JSON via msgspec; decoding is untyped here because typing needs the event class (see the mapper)."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder(decimal_format="string")
        self._decoder = msgspec.json.Decoder()

    def encode(self, obj: Any) -> bytes:
        data = self._encoder.encode(obj)
        if (b"\\u00" in data or b"\x7f" in data) and _CONTROL_ESCAPE.search(data):  # the test first: C speed
            # No event may carry a control character (U+0000 cannot even be stored in a PostgreSQL text column, so
            # one would stop every projection that copies it). Requests are checked field by field before this;
            # this is the last line, for any text a check missed.
            raise InvalidInput(FieldProblem("text", "must not contain control characters (U+0000–U+001F, U+007F)"))
        return data

    def decode(self, data: bytes) -> Any:
        return self._decoder.decode(data)


@lru_cache(maxsize=None)
def event_state_type(event_class: type) -> type[msgspec.Struct]:
    """A msgspec Struct with one field per stored attribute of ``event_class`` (ids excluded)."""
    hints = typing.get_type_hints(event_class)
    fields: list[tuple[str, Any]] = []
    for name, hint in hints.items():
        if name in _IDENTITY_FIELDS or typing.get_origin(hint) is ClassVar or hint is ClassVar:
            continue
        fields.append((name, hint))
    qualname = f"{event_class.__module__}.{event_class.__qualname__}".replace(".", "_")
    return msgspec.defstruct(qualname, fields, kw_only=True)


def warm_types(types: list[type]) -> None:
    """Make msgspec's first use of each type here, on one thread.

    msgspec 0.21–0.22 builds a type's converter lazily on first use and crashes the process (segmentation fault)
    when several threads do that for the same new type at once; the projector threads decode events in parallel.
    Reproduced: 4 threads converting 300 fresh ``defstruct`` types crash 30 of 30 processes on 0.22.0, 0 of 30 once
    each type was converted once on one thread first (``tests/unit/test_msgspec_first_use.py``). 0.23 no longer
    crashes in that reproduction and is the version required; this stays as defence in depth.
    """
    for t in types:
        try:
            msgspec.convert({}, t)
        except msgspec.ValidationError:
            pass  # the converter is built before the (expected) validation error


def prepare_event_types(event_classes: list[type]) -> None:
    """Build every event's state type and its converter once, single-threaded, before any thread decodes."""
    warm_types([event_state_type(cls) for cls in event_classes])


class MsgspecMapper(Mapper[Any]):
    """Mapper whose decoding is typed by the event class (after the library's upcasting)."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls = resolve_topic(stored_event.topic)
        state_bytes = stored_event.state
        try:
            if self.cipher:
                state_bytes = self.cipher.decrypt(state_bytes)
            if self.compressor:
                state_bytes = self.compressor.decompress(state_bytes)
            event_state: dict[str, Any] = self.transcoder.decode(state_bytes)
            from_version = event_state.pop("class_version", 1)
            class_version = getattr(cls, "class_version", 1)
            while from_version < class_version:
                getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
                from_version += 1
            typed = msgspec.convert(event_state, event_state_type(cls))
        except Exception as e:
            msg = (
                f"Failed to deserialise stored event {stored_event.topic} "
                f"{stored_event.originator_id} v{stored_event.originator_version}: {e}"
            )
            raise MapperDeserialisationError(msg) from e
        state = {name: getattr(typed, name) for name in typed.__struct_fields__}
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event


def event_json_schema(event_class: type) -> dict[str, Any]:
    """The JSON Schema of an event class's stored state (what ``events/`` publishes)."""
    return cast(dict[str, Any], msgspec.json.schema(event_state_type(event_class)))
