"""The one eventsourcing Application that holds every aggregate, and how it records them."""

from __future__ import annotations

import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import deepcopy
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application, Repository, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Mapper, StoredEvent, Transcoder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import strtobool
from psycopg import sql

from xiaofei.domain.errors import Conflict
from xiaofei.persistence import MsgspecMapper, MsgspecTranscoder

MAX_ATTEMPTS = 8
"""How often a command is decided again after losing a race with a concurrent writer."""

# eventsourcing inserts in one psycopg pipeline, and a statement above ~0.9 MB hangs there (ARCHITECTURE §5):
# anything with more events or bytes than this goes through COPY in one transaction instead.
LIBRARY_SAVE_MAX_EVENTS = 200
LIBRARY_SAVE_MAX_BYTES = 300_000


class SnapshotCacheRepository(Repository[UUID]):
    """The library's repository, except that a cached aggregate is never changed once handed out.

    The library fast-forwards a cached aggregate *in place* and deep-copies it for the caller outside its lock, so
    a thread copying (or reading) an aggregate while another thread fast-forwards the same one failed with
    "dictionary changed size during iteration" (3 of 800 concurrent writes to one payroll). Here new events are
    applied to a copy, which then replaces the cached one; readers holding the old object are never disturbed.
    Loads of one aggregate are serialised by a striped lock, so it is fast-forwarded once, not once per thread.
    """

    _STRIPES = 64

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stripes = [threading.Lock() for _ in range(self._STRIPES)]

    def get(self, aggregate_id: UUID, *, version: int | None = None,  # type: ignore[override]
            projector_func: Any = project_aggregate, fastforward_skipping: bool = False,
            deepcopy_from_cache: bool = True) -> Any:
        if not self.cache or version is not None:
            return super().get(aggregate_id, version=version, projector_func=projector_func,
                               fastforward_skipping=fastforward_skipping, deepcopy_from_cache=deepcopy_from_cache)
        with self._stripes[hash(aggregate_id) % self._STRIPES]:
            try:
                aggregate = self.cache.get(aggregate_id)
            except KeyError:
                aggregate = self._reconstruct_aggregate(aggregate_id, None, projector_func)
                self.cache.put(aggregate_id, aggregate)
            else:
                new_events = list(self.event_store.get(originator_id=aggregate_id, gt=aggregate.version))
                if new_events:
                    aggregate = projector_func(deepcopy(aggregate), new_events)
                    if aggregate is None:
                        raise AggregateNotFoundError(aggregate_id)
                    self.cache.put(aggregate_id, aggregate)
        return deepcopy(aggregate) if deepcopy_from_cache and self.deepcopy_from_cache else aggregate


class XiaofeiApplication(Application[UUID]):
    """All aggregates share this application's single ordered notification log."""

    name = "xiaofei"

    def construct_repository(self) -> Repository[UUID]:
        cache_maxsize = self.env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return SnapshotCacheRepository(
            event_store=self.events, snapshot_store=self.snapshots,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            deepcopy_from_cache=strtobool(self.env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")))

    def construct_transcoder(self) -> Transcoder:
        return MsgspecTranscoder()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=MsgspecMapper)

    @property
    def events_table(self) -> sql.Composed:
        recorder = self.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        return sql.SQL("{}.{}").format(
            sql.Identifier(recorder.datastore.schema), sql.Identifier(recorder.events_table_name)
        )

    def record(self, *aggregates: Aggregate | None) -> int:
        """Record the pending events of ``aggregates`` in ONE transaction; return the last log position.

        Raises ``IntegrityError`` when any aggregate was changed meanwhile (or already exists): then
        nothing at all is recorded.
        """
        return self.record_events([e for a in aggregates if a is not None for e in a.collect_events()])

    def record_events(self, pending: Sequence[Any]) -> int:
        """Record domain events in ONE transaction (what ``record`` does with the aggregates' pending events); for
        creation events made without building their aggregates, as a bulk upload makes them."""
        if not pending:
            return self.head_position()
        stored = [self.mapper.to_stored_event(e) for e in pending]
        if len(stored) <= LIBRARY_SAVE_MAX_EVENTS and sum(len(s.state) for s in stored) <= LIBRARY_SAVE_MAX_BYTES:
            # The library's own insert (what ``save()`` ends in), without ``save()``'s per-event runtime protocol
            # checks, which on Python 3.11 cost more than the insert itself.
            ids = self.recorder.insert_events(stored)
            assert ids, "the PostgreSQL application recorder returns notification ids"
            return max(ids)
        return self._copy_events(stored)

    def update(self, load: Callable[[], Sequence[Aggregate]], decide: Callable[..., None]) -> int:
        """Optimistic concurrency for one command: load the aggregates, let ``decide`` change them, record them
        together. If another writer got there first, load and decide again, so no update is ever lost."""
        for _ in range(MAX_ATTEMPTS):
            aggregates = load()
            decide(*aggregates)
            try:
                return self.record(*aggregates)
            except IntegrityError:
                continue
        raise Conflict("the record kept changing while we tried to update it; try again")

    def spool(self) -> EventSpool:
        """A temporary file to gather many events in, encoded, and record them in one transaction: memory holds
        what is being added, not all that was."""
        return EventSpool(self)

    def _copy_events(self, stored: Iterable[StoredEvent]) -> int:
        recorder = self.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        table = self.events_table
        try:
            with recorder.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cur:
                # Same discipline as the library: an EXCLUSIVE lock makes commit order equal id order,
                # so projectors following the log never skip a row that commits late.
                cur.execute(sql.SQL("SET LOCAL lock_timeout = '30s'"))
                cur.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
                cur.execute(sql.SQL("NOTIFY {}").format(sql.Identifier(recorder.channel_name)))
                copy_sql = sql.SQL(
                    "COPY {} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
                ).format(table)
                with cur.copy(copy_sql) as copy:
                    copy.set_types(["uuid", "int8", "text", "bytea"])
                    for s in stored:
                        copy.write_row((s.originator_id, s.originator_version, s.topic, s.state))
                cur.execute(sql.SQL("SELECT max(notification_id) AS head FROM {}").format(table))
                row = cur.fetchone()
                assert row is not None
                return int(row["head"])
        except psycopg.errors.UniqueViolation as e:
            raise IntegrityError(str(e)) from e

    def record_spooled(self, spool: EventSpool, *aggregates: Aggregate) -> int:
        """Record the spooled events, then the pending events of ``aggregates``, in ONE transaction (COPY);
        ``IntegrityError`` as ``record``."""
        tail = [self.mapper.to_stored_event(e) for a in aggregates for e in a.collect_events()]
        return self._copy_events(spool.stored(tail))

    def get_many(self, aggregate_ids: Sequence[UUID], *, copy: bool = True) -> dict[UUID, Aggregate]:
        """The current state of each existing aggregate among ``aggregate_ids``, with ONE query: what the cache holds
        is fast-forwarded by the events recorded after it, the others are built from all their events. Each is a
        copy, as ``repository.get`` hands out; the cache gets the new states (never changed once in it). With
        ``copy=False`` the cached objects themselves are handed out, for a caller that only reads them (or copies
        what it changes)."""
        cache = self.repository.cache
        unique = list(dict.fromkeys(aggregate_ids))
        known: dict[UUID, Any] = {}
        if cache is not None:
            for aggregate_id in unique:
                try:
                    known[aggregate_id] = cache.get(aggregate_id)
                except KeyError:
                    pass
        recorder = self.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        query = sql.SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state"
            " FROM unnest(string_to_array(%s, ',')::uuid[], string_to_array(%s, ',')::int8[]) AS c(id, v)"
            " JOIN {} e ON e.originator_id = c.id AND e.originator_version > c.v"
            " ORDER BY e.originator_id, e.originator_version").format(self.events_table)
        with recorder.datastore.get_connection() as conn, conn.cursor() as cur:
            # two strings, not two arrays: psycopg dumps a list of UUIDs element by element, in Python
            cur.execute(query, (",".join(map(str, unique)),
                                ",".join(str(known[i].version) if i in known else "0" for i in unique)))
            rows = cur.fetchall()
        new: dict[UUID, list[Any]] = {}
        for row in rows:
            new.setdefault(row["originator_id"], []).append(self.mapper.to_domain_event(StoredEvent(
                row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"]))))
        found: dict[UUID, Aggregate] = {}
        for aggregate_id in unique:
            events = new.get(aggregate_id)
            current = known.get(aggregate_id)
            if events:
                current = deepcopy(current) if current is not None else None
                for event in events:  # project_aggregate without its per-event runtime protocol check
                    current = event.mutate(current)
                if current is not None and cache is not None:
                    cache.put(aggregate_id, current)
            if current is not None:
                found[aggregate_id] = deepcopy(current) if copy else current
        return found

    def head_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def wait_projected(self, conn: Any, projection: str, seconds: float, what: str) -> None:
        """Wait (``seconds`` at most, else 409 "<what> still being computed") until read model ``projection`` has
        applied every event recorded so far: a command that decides on a read model's figures reads them then."""
        head = self.head_position()
        deadline = time.monotonic() + seconds
        query = sql.SQL("SELECT notification_id FROM {}.tracking WHERE application_name = %s").format(
            sql.Identifier(f"rm_{projection}"))
        while True:
            row = conn.execute(query, (self.name,)).fetchone()
            if row is not None and row[0] >= head:
                return
            if time.monotonic() > deadline:
                raise Conflict(f"{what} still being computed; try again in a moment")
            conn.rollback()
            time.sleep(0.02)

    def event_count(self, after: int = 0) -> int:
        """Events in the log past position ``after``. Not ``head_position() - after``: positions have gaps (a
        sequence value taken by a write that rolled back is never used), so counting is the only true total."""
        recorder = self.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        query = sql.SQL("SELECT count(*) AS n FROM {} WHERE notification_id > %s").format(self.events_table)
        with recorder.datastore.get_connection() as conn, conn.cursor() as cur:
            cur.execute(query, (after,))
            return int(cur.fetchone()["n"])  # type: ignore[index]

    def existing_versions(self, ids: Sequence[UUID]) -> dict[UUID, int]:
        """Current version of each of ``ids`` that exists (one query, for bulk imports)."""
        recorder = self.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        query = sql.SQL(
            "SELECT originator_id, max(originator_version) AS v FROM {} WHERE originator_id = ANY(%s) GROUP BY 1"
        ).format(self.events_table)
        with recorder.datastore.get_connection() as conn, conn.cursor() as cur:
            cur.execute(query, (list(ids),))
            return {row["originator_id"]: int(row["v"]) for row in cur.fetchall()}


class EventSpool:
    """Stored events written to a temporary file as they are added (length-prefixed: id, version, topic,
    state), read back once, in order, by ``XiaofeiApplication.record_spooled``."""

    _HEAD = struct.Struct("!16sqHI")

    def __init__(self, app: XiaofeiApplication) -> None:
        self.mapper = app.mapper
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close() or when the spool is collected)
        self.count = 0

    def add(self, aggregates: Iterable[Aggregate]) -> None:
        for aggregate in aggregates:
            for event in aggregate.collect_events():
                s = self.mapper.to_stored_event(event)
                topic = s.topic.encode()
                self.file.write(self._HEAD.pack(s.originator_id.bytes, s.originator_version, len(topic),
                                                len(s.state)))
                self.file.write(topic)
                self.file.write(s.state)
                self.count += 1

    def stored(self, tail: Iterable[StoredEvent] = ()) -> Iterator[StoredEvent]:
        self.file.seek(0)
        for _ in range(self.count):
            raw_id, version, topic_len, state_len = self._HEAD.unpack(self.file.read(self._HEAD.size))
            topic = self.file.read(topic_len).decode()
            yield StoredEvent(UUID(bytes=raw_id), version, topic, self.file.read(state_len))
        yield from tail

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> EventSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
