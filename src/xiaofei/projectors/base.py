"""Exactly-once, batched projections over the application's notification log.

Each projection keeps its read-model tables *and* its tracking row in its own PostgreSQL schema
(``rm_<name>``). A batch is one transaction: take the projection's advisory lock, read the tracking
position, read up to ``batch_size`` events after it, write the rows, advance the tracking row, commit.
A crash anywhere in that rolls everything back, so each event takes effect exactly once. The lock
(a transaction's advisory lock) makes a second runner stand by instead of double-applying — a following
projector tries it and looks again shortly (``try_batch``), a one-off run waits for it (``run_batch``) — and
lets ``rebuild`` swap schemas atomically.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import msgspec
import psycopg
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg import sql
from psycopg.types.json import set_json_dumps
from psycopg.rows import DictRow

from xiaofei.application.app import XiaofeiApplication
from xiaofei.projectors.changes import BATCH_SETTING, RETRY_STAMP, trigger_ddl
from xiaofei.projectors.partitions import PARTITION_DDL, Partitions
from xiaofei.projectors.publication import republish, sync_published
from xiaofei.projectors.sqlfiles import ddl_statements

log = logging.getLogger("xiaofei.projectors")

TRACKING_TABLE = "tracking"


RETRY_HOOKS: list[Callable[[ConnectionParams, str, str], None]] = []
"""Called with (params, projection, county) once a halted county's parked events were applied again: a derived
projection (the dashboard) recomputes what it read of that county."""


def live_schema(name: str) -> str:
    return f"rm_{name}"


def mark_rewritten(cur: psycopg.Cursor[Any]) -> None:
    """Rows of the projection (``search_path``) changed at the same position (a retry): a new version of its
    tracking row says so to reads that keep answers by tracking row (``queries.status.check_partition``)."""
    cur.execute(sql.SQL("UPDATE {} SET notification_id = notification_id").format(sql.Identifier(TRACKING_TABLE)))


@functools.cache  # read from the SQL files once a process (setup asks for each projection, create_table again)
def ddl_stamp(name: str) -> str:
    """A digest of projection ``name``'s DDL (its tables and views, the partition tables, the triggers, the
    tracking table of this eventsourcing release): kept as its schema's comment by the setup that made it."""
    parts = [version("eventsourcing"), PARTITION_DDL, *ddl_statements(name), *trigger_ddl(name)]
    return "xiaofei-ddl:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def lock_key(name: str) -> str:
    return f"xiaofei-projection:{name}"


class SqlView(PostgresTrackingRecorder):
    """A projection's read-model tables and its tracking table, in the datastore's schema."""

    def __init__(self, datastore: PostgresDatastore, projection_name: str) -> None:
        super().__init__(datastore, tracking_table_name=TRACKING_TABLE)
        self.projection_name = projection_name

    @property
    def schema(self) -> str:
        return self.datastore.schema

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
        super().create_table()
        with self.datastore.transaction(commit=True) as cur:
            self.use_schema(cur)
            for script in ddl_statements(self.projection_name):
                cur.execute(script)  # type: ignore[arg-type]
            cur.execute(PARTITION_DDL)  # type: ignore[arg-type]
            for statement in trigger_ddl(self.projection_name):
                cur.execute(statement)  # type: ignore[arg-type]
            cur.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(  # setup_storage: done, at this DDL
                sql.Identifier(self.schema), sql.Literal(ddl_stamp(self.projection_name))))

    def use_schema(self, cur: psycopg.Cursor[DictRow]) -> None:
        """Projection SQL names its tables unqualified; this points them at this view's schema."""
        cur.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(sql.Identifier(self.schema)))

    def position(self, cur: psycopg.Cursor[DictRow], application_name: str) -> int:
        return self._max_tracking_id(application_name, cur) or 0

    def advance(self, cur: psycopg.Cursor[DictRow], application_name: str, notification_id: int) -> None:
        self._insert_tracking(cur, Tracking(application_name, notification_id))


def _json_dumps(obj: Any) -> str:
    return msgspec.json.encode(obj).decode()


# Explanations are large JSON documents; msgspec writes them several times faster than the json module.
set_json_dumps(_json_dumps)


_COLUMN_TYPES: dict[int, dict[str, str]] = {}


def _column_types(cur: psycopg.Cursor[DictRow], table: str) -> dict[str, str]:
    """Column types of a read-model table, cached by the table's OID: two projections may each have a table of the
    same name with other columns (``households``, ``flags``), and one process runs them all. A temporary table is
    never cached: its OID is freed when it is dropped and may come back as another table's (the as-of reads create
    and drop temporary copies of read-model tables on every request)."""
    cur.execute("SELECT oid, relpersistence = 't' AS temporary FROM pg_class WHERE oid = %s::regclass", (table,))
    found = cur.fetchone()
    oid = found["oid"]  # type: ignore[index]
    if oid in _COLUMN_TYPES:
        return _COLUMN_TYPES[oid]
    cur.execute("SELECT attname, format_type(atttypid, NULL) AS type FROM pg_attribute"
                " WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (oid,))
    types = {r["attname"]: r["type"] for r in cur.fetchall()}
    if not found["temporary"]:  # type: ignore[index]
        _COLUMN_TYPES[oid] = types
    return types


def copy_rows(cur: psycopg.Cursor[DictRow], table: str, rows: Sequence[Sequence[Any]],
              columns: Sequence[str] | None = None) -> None:
    """Insert many rows with binary COPY (several times faster than executemany); no-op without rows."""
    if not rows:
        return
    types = _column_types(cur, table)
    names = list(columns) if columns else list(types)
    target = sql.SQL("{} ({})").format(sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names)))
    with cur.copy(sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(target)) as copy:
        copy.set_types([types[n] for n in names])
        for row in rows:
            copy.write_row(row)


class BatchProjection(Projection[SqlView]):
    """A projection that applies a whole batch of events with one cursor, inside the batch's transaction."""

    @abstractmethod
    def apply(self, cur: psycopg.Cursor[DictRow], events: Sequence[Any]) -> None:
        """Write the read-model changes for ``events`` (in log order). Must be deterministic."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """The library's one-event entry point (e.g. for ``ProjectionRunner``): a batch of one."""
        with self.view.datastore.transaction(commit=True) as cur:
            self.view.use_schema(cur)
            self.apply(cur, [domain_event])
            self.view.advance(cur, tracking.application_name, tracking.notification_id)


@dataclass(frozen=True)
class ConnectionParams:
    dbname: str
    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_env(cls, env: dict[str, str]) -> ConnectionParams:
        return cls(env["POSTGRES_DBNAME"], env["POSTGRES_HOST"], int(env["POSTGRES_PORT"]),
                   env["POSTGRES_USER"], env["POSTGRES_PASSWORD"])

    def datastore(self, schema: str, pool_size: int = 2) -> PostgresDatastore:
        # a session idle inside a transaction for a minute is the projector's machine or network gone (a batch
        # waits on its own database calls, never on anything else): the server ends it and releases the
        # projection's lock for a standby process (TCP keepalive alone would take hours to notice)
        return PostgresDatastore(self.dbname, self.host, self.port, self.user, self.password,
                                 pool_size=pool_size, max_overflow=1, schema=schema, lock_timeout=30,
                                 idle_in_transaction_session_timeout=60)

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(dbname=self.dbname, host=self.host, port=self.port, user=self.user,
                               password=self.password, **kwargs)


def is_poison(error: BaseException) -> bool:
    """An error that the same event will meet every time (bad data, a bug meeting it), as opposed to a hiccup
    (a dropped connection, a lock timeout, a deadlock) that a retry of the whole batch gets past."""
    if isinstance(error, psycopg.OperationalError):
        return False
    return isinstance(error, (psycopg.DataError, psycopg.IntegrityError, psycopg.ProgrammingError,
                              MapperDeserialisationError, LookupError, ValueError, TypeError, AttributeError,
                              ArithmeticError, AssertionError))


class _Undecodable:
    """An event the mapper could not decode: it halts its county like an event that cannot be applied."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class Projector:
    """Runs one projection over the application's log in batches (one transaction per batch)."""

    def __init__(
        self,
        app: XiaofeiApplication,
        projection_class: type[BatchProjection],
        params: ConnectionParams,
        *,
        batch_size: int = 1000,
        schema: str | None = None,
        lock: str | None = None,
        pool_size: int = 2,
    ) -> None:
        self.app = app
        self.name = projection_class.name
        self.lock = lock or lock_key(self.name)
        """The advisory lock its batches take: the live projection's, or a rebuild's own (``rebuild``)."""
        self.params = params
        self.batch_size = batch_size
        self.view = SqlView(params.datastore(schema or live_schema(self.name), pool_size), self.name)
        self.projection = projection_class(view=self.view)
        recorder = app.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        self._channel = recorder.channel_name
        self._select_events = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(app.events_table)
        self._select_events_below = sql.SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s"
        ).format(app.events_table)
        self.last_error: str | None = None

    def setup(self) -> None:
        self.view.create_table()

    def close(self) -> None:
        self.view.datastore.close()

    def _lock(self, cur: psycopg.Cursor[DictRow]) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.lock,))

    def process_batch_in(self, cur: psycopg.Cursor[DictRow]) -> int:
        """Apply the next batch inside the caller's transaction. Returns how many events it applied."""
        position = self.view.position(cur, self.app.name)
        ceiling = getattr(self.projection, "ceiling", None)
        if ceiling is not None:  # a derived projection reads other read models: never past what they applied
            cur.execute(self._select_events_below, (position, ceiling(cur, self.app.name), self.batch_size))
        else:
            cur.execute(self._select_events, (position, self.batch_size))
        rows = cur.fetchall()
        if not rows:
            return 0
        self.view.use_schema(cur)
        # the batch's range, for the triggers stamping changed counties and for derived projections reading them
        cur.execute("SELECT set_config(%s, %s, true), set_config('xiaofei.batch_from', %s, true)",
                    (BATCH_SETTING, str(rows[-1]["notification_id"]), str(position)))
        parts = Partitions(cur)
        batch: list[tuple[dict[str, Any], Any]] = []
        for r in rows:
            try:
                event = self.app.mapper.to_domain_event(
                    StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])))
            except Exception as e:  # noqa: BLE001 - an undecodable event halts its county (below), not everything
                event = _Undecodable(e)
            batch.append((r, event))
        parts.record([e for _, e in batch if not isinstance(e, _Undecodable)])
        halted = parts.halted()
        if halted:  # a halted county's later events wait behind the one that failed
            kept = []
            for r, e in batch:
                county = parts.of(r["originator_id"], None if isinstance(e, _Undecodable) else e)
                if county in halted:
                    parts.park(r["notification_id"], county)  # type: ignore[arg-type]
                else:
                    kept.append((r, e))
            batch = kept
        cur.execute("SAVEPOINT batch")
        try:
            if any(isinstance(e, _Undecodable) for _, e in batch):
                raise next(e.error for _, e in batch if isinstance(e, _Undecodable))
            self.projection.apply(cur, [e for _, e in batch])
            cur.execute("RELEASE SAVEPOINT batch")
        except Exception as error:
            if not is_poison(error):
                raise  # a hiccup (connection, lock, deadlock): the whole batch is tried again, nothing halts
            cur.execute("ROLLBACK TO SAVEPOINT batch")
            self._apply_one_by_one(cur, parts, batch, halted)
        self.view.advance(cur, self.app.name, rows[-1]["notification_id"])
        return len(rows)

    def _apply_one_by_one(self, cur: psycopg.Cursor[DictRow], parts: Partitions,
                          batch: list[tuple[dict[str, Any], Any]], halted: set[str]) -> None:
        for r, e in batch:
            county = parts.of(r["originator_id"], None if isinstance(e, _Undecodable) else e)
            if county in halted:
                parts.park(r["notification_id"], county)  # type: ignore[arg-type]
                continue
            cur.execute("SAVEPOINT one")
            try:
                if isinstance(e, _Undecodable):
                    raise e.error
                self.projection.apply(cur, [e])
                cur.execute("RELEASE SAVEPOINT one")
            except Exception as error:
                if county is None or not is_poison(error):
                    raise  # no county to halt, or not the event's fault: the whole projection waits, as before
                cur.execute("ROLLBACK TO SAVEPOINT one")
                parts.halt(county, r["notification_id"], r["topic"], r["originator_id"], r["originator_version"],
                           f"{type(error).__name__}: {error}")
                parts.park(r["notification_id"], county)
                halted.add(county)
                log.error("event halted its county's partition", extra={
                    "projection": self.name, "county": county, "position": r["notification_id"]})

    def retry_partition(self, county: str) -> tuple[int, str | None]:
        """Apply a halted county's parked events again, in log order, under the projection's lock. Returns how
        many were applied and, if one still fails, its error (the county stays halted from that event on)."""
        with self.view.datastore.transaction(commit=True) as cur:
            self._lock(cur)
            self.view.use_schema(cur)
            cur.execute("SELECT set_config(%s, %s, true)", (BATCH_SETTING, str(RETRY_STAMP)))
            cur.execute("SELECT position FROM parked_events WHERE county = %s ORDER BY position", (county,))
            positions = [r["position"] for r in cur.fetchall()]
            if not positions:
                return 0, None
            applied, failure = 0, None
            cur.execute(sql.SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {}"
                                " WHERE notification_id = ANY(%s) ORDER BY notification_id").format(
                self.app.events_table), (positions,))
            for r in cur.fetchall():
                cur.execute("SAVEPOINT one")
                try:
                    event = self.app.mapper.to_domain_event(
                        StoredEvent(r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])))
                    self.projection.apply(cur, [event])
                    cur.execute("RELEASE SAVEPOINT one")
                except Exception as error:  # noqa: BLE001 - reported, the county stays halted from here
                    cur.execute("ROLLBACK TO SAVEPOINT one")
                    message = f"{type(error).__name__}: {error}"[:2000]
                    cur.execute("UPDATE halted_partitions SET position = %s, topic = %s, originator_id = %s,"
                                " originator_version = %s, error = %s WHERE county = %s",
                                (r["notification_id"], r["topic"], r["originator_id"], r["originator_version"],
                                 message, county))
                    failure = message
                    break
                cur.execute("DELETE FROM parked_events WHERE position = %s", (r["notification_id"],))
                applied += 1
            else:
                cur.execute("DELETE FROM halted_partitions WHERE county = %s", (county,))
            if applied:
                mark_rewritten(cur)
        if applied:
            for hook in RETRY_HOOKS:
                hook(self.params, self.name, county)
        return applied, failure

    def run_batch(self) -> int:
        with self.view.datastore.transaction(commit=True) as cur:
            self._lock(cur)
            return self.process_batch_in(cur)

    def try_batch(self) -> int | None:
        """A batch if no other process holds the projection's lock; None (nothing done, nothing waited for) if one
        does. Several ``xiaofei project`` processes may run: one applies each batch, the others stand by, and the
        moment the one applying dies (its connection closes, PostgreSQL releases its transaction's lock) another
        takes over from the last committed batch. A transaction-level lock, never a session one: a pooler in
        transaction mode (PgBouncer) hands sessions around between transactions and would break a session lock."""
        with self.view.datastore.transaction(commit=True) as cur:
            cur.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s)) AS got", (self.lock,))
            if not cur.fetchone()["got"]:  # type: ignore[index]
                return None
            return self.process_batch_in(cur)

    def run_until_idle(self, on_batch: Callable[[int], None] | None = None) -> int:
        """Apply batches until the log is exhausted; ``on_batch`` is told the events applied so far. Returns them."""
        total = 0
        while True:
            n = self.run_batch()
            total += n
            if on_batch is not None:
                on_batch(total)
            if n < self.batch_size:
                return total

    def position(self) -> int:
        with self.view.datastore.transaction() as cur:
            return self.view.position(cur, self.app.name)

    def run_forever(self, stop: threading.Event, idle_wait: float = 1.0) -> None:
        """Catch up, then follow the log: woken by the store's NOTIFY, or every ``idle_wait`` seconds.

        A failed batch (database restarted, a bug meeting an event) is rolled back, logged, remembered in
        ``last_error`` (``/ready`` reports it) and retried with a growing pause; nothing is skipped.
        """
        pause = 0.5
        # a derived projection is woken by the same NOTIFY as those it reads, usually before they applied the
        # event: it looks again soon instead of sleeping until the next event
        wait = idle_wait if getattr(self.projection, "ceiling", None) is None else min(idle_wait, 0.1)
        while not stop.is_set():
            try:
                with self.params.connect(autocommit=True) as listener:
                    listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    while not stop.is_set():
                        got = self.try_batch()
                        self.last_error, pause = None, 0.5
                        if got is None:  # another process applies this projection: stand by, look again soon
                            stop.wait(min(idle_wait, 0.2))
                            continue
                        n = got
                        if n < self.batch_size:
                            for _ in listener.notifies(timeout=wait, stop_after=1):
                                pass
            except Exception as e:  # noqa: BLE001 - a projector must outlive any one failure
                self.last_error = f"{type(e).__name__}: {e}"
                log.exception("projection batch failed; retrying", extra={"projection": self.name})
                stop.wait(pause)
                pause = min(pause * 2, 2.0)  # resume within seconds once the database is back


def rebuild(
    app: XiaofeiApplication, projection_class: type[BatchProjection], params: ConnectionParams, batch_size: int = 1000,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Rebuild a projection from zero into fresh tables, then swap them in atomically.

    Readers keep reading the old tables (and the live projector keeps them current) until the swap,
    which happens in one transaction under the projection's lock: drain the last events, rename the old
    schema away and the new one in, drop the old. ``on_batch`` is told the events applied so far. Returns the
    number of events applied.
    """
    name = projection_class.name
    live = live_schema(name)
    fresh = f"{live}__next"
    with params.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(fresh)))
    # The bulk runs under a lock of its own (two rebuilds of one projection take turns), not the live one: the live
    # projector, which tries its lock rather than queueing for it, would get a turn only between two batches.
    projector = Projector(app, projection_class, params, batch_size=batch_size, schema=fresh,
                          lock=f"{lock_key(name)}:rebuild")
    try:
        projector.setup()
        applied = projector.run_until_idle(on_batch)  # the bulk of the work, without blocking the live projector
        with projector.view.datastore.transaction(commit=True) as cur:
            projector._lock(cur)  # no other rebuild of it (held to the swap's commit)
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (lock_key(name),))  # nor a live batch
            while (n := projector.process_batch_in(cur)) > 0:
                applied += n
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (live,))
            if cur.fetchone() is not None:
                sync_published(cur, name, fresh, live)  # national reporting: what the rebuild changed is published
                old = f"{live}__old"
                cur.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(live), sql.Identifier(old)))
                cur.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(fresh), sql.Identifier(live)))
                cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(old)))
            else:
                cur.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(fresh), sql.Identifier(live)))
            republish(cur, name)  # national reporting: the dropped tables left the publication, the new ones join
    finally:
        projector.close()
    log.info("projection rebuilt", extra={"projection": name, "events": applied})
    return applied
