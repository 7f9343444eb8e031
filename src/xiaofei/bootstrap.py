"""The one composition root: database, application, services, projectors."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TextIO

from xiaofei.application.access import AccessService
from xiaofei.application.claims import ClaimService
from xiaofei.application.consumption.buyers import BuyerService
from xiaofei.application.consumption.certification import CertificationService
from xiaofei.application.consumption.channel import ChannelSalesService
from xiaofei.application.consumption.linkage import LinkageService
from xiaofei.application.consumption.orders import OrderService
from xiaofei.application.consumption.products import ProductService
from xiaofei.application.consumption.sellers import SellerService
from xiaofei.application.employment import EmploymentService
from xiaofei.application.app import XiaofeiApplication
from xiaofei.application.importer import HouseholdImporter
from xiaofei.application.pii import IdProtector
from xiaofei.application.policy import PolicyService
from xiaofei.application.registry import RegistryService
from xiaofei.catalogue import event_classes
from xiaofei.config import ENV_PREFIX, Settings, SettingsError
from xiaofei.database import Database, open_database, secret_key
from xiaofei.persistence import prepare_event_types
from xiaofei.progress import Progress
from xiaofei.projectors.base import ConnectionParams, Projector, ddl_stamp, live_schema
from xiaofei.projectors.catalog import PROJECTIONS

log = logging.getLogger("xiaofei.bootstrap")


@dataclass
class Services:
    settings: Settings
    database: Database
    app: XiaofeiApplication
    params: ConnectionParams
    registry: RegistryService
    importer: HouseholdImporter
    access: AccessService
    policy: PolicyService
    employment: EmploymentService
    claims: ClaimService
    certification: CertificationService
    sellers: SellerService
    products: ProductService
    buyers: BuyerService
    orders: OrderService
    channel_sales: ChannelSalesService
    linkage: LinkageService
    _threads: list[threading.Thread] = field(default_factory=list)
    _projectors: list[Projector] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def projector(self, name: str) -> Projector:
        return Projector(self.app, PROJECTIONS[name], self.params, batch_size=self.settings.projection_batch_size,
                         pool_size=self.settings.projector_pool_size)

    def start_projectors(self) -> None:
        """Run every projection in a thread of this process (the simple default)."""
        self._stop.clear()
        for name in PROJECTIONS:
            projector = self.projector(name)
            thread = threading.Thread(target=projector.run_forever, args=(self._stop,), name=f"projector-{name}",
                                      daemon=True)
            thread.start()
            self._projectors.append(projector)
            self._threads.append(thread)

    def projectors_alive(self) -> bool:
        """Every projector thread runs and its last batch succeeded."""
        return all(t.is_alive() for t in self._threads) and not any(p.last_error for p in self._projectors)

    def catch_up(self, progress_to: TextIO | None = None) -> None:
        """Bring every projection up to the head of the log (used by CLI commands and tests). With
        ``progress_to``, each projection that has work reports the events it applied out of those past its position
        there."""
        for name in PROJECTIONS:
            projector = self.projector(name)
            try:
                if progress_to is None:
                    projector.run_until_idle()
                    continue
                todo = self.app.event_count(after=projector.position())
                if not todo:
                    continue
                bar = Progress(f"projecting {name}", unit="events", stream=progress_to, total=todo)
                applied = projector.run_until_idle(lambda n, bar=bar, todo=todo: bar.update(n, max(n, todo)))
                bar.update(applied, max(applied, todo))
                bar.finish()
            finally:
                projector.close()

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)
        for p in self._projectors:
            p.close()
        self._threads.clear()
        self._projectors.clear()
        self.app.close()
        self.database.stop()


def setup_storage(database: Database) -> None:
    """Create the event table and every read model once, under a lock (many processes may start together).

    A read model whose schema already carries this release's DDL stamp (``projectors.base.ddl_stamp``, set by
    the setup that made it, kept by a rebuild's swap) is left alone: a second process starting beside a running
    projector must not take DDL locks on tables the projector is writing (a CREATE INDEX or CREATE TRIGGER there
    waited on, and deadlocked with, its batches). The lock is a transaction's, held by one transaction while the
    setup runs on other connections: a session lock would not survive a pooler in transaction mode."""
    env = database.eventsourcing_env(create_table=True, pool_size=1)
    params = ConnectionParams.from_env(env)
    with params.connect() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('xiaofei-setup'))")
        stamps = dict(conn.execute("SELECT nspname, obj_description(oid, 'pg_namespace') FROM pg_namespace"
                                   " WHERE nspname LIKE 'rm\\_%'").fetchall())
        app = XiaofeiApplication(env=env)  # creates the event table if it is missing
        try:
            for name, projection in PROJECTIONS.items():
                if stamps.get(live_schema(name)) == ddl_stamp(name):
                    continue
                projector = Projector(app, projection, params)
                try:
                    projector.setup()
                finally:
                    projector.close()
        finally:
            app.close()


def check_served_province(params: ConnectionParams, province: str | None) -> None:
    """A deployment serves one province (XIAOFEI_PROVINCE): refuse to start on a database whose registry already
    holds a county of another (the setting was changed, or two provinces' data were mixed). Read from the
    registry read model, which every command of a county waits behind: one short query, not a scan of the log."""
    if province is None:
        return
    with params.connect() as conn:
        others = [r[0] for r in conn.execute(
            "SELECT code FROM rm_registry.counties WHERE left(code, 2) <> %s ORDER BY code LIMIT 6", (province,))]
    if others:
        listed = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise SettingsError(f"{ENV_PREFIX}PROVINCE={province}: this database already holds counties of another "
                            f"province ({listed}); one deployment serves one province")


def build(settings: Settings, database: Database | None = None) -> Services:
    # Before any projector or request thread decodes an event (see persistence.warm_types).
    prepare_event_types(event_classes())
    database = database or open_database(settings)
    try:
        setup_storage(database)
        env = database.eventsourcing_env(create_table=False, pool_size=settings.db_write_pool_size,
                                         connect_timeout=settings.db_connect_timeout)
        check_served_province(ConnectionParams.from_env(env), settings.province)
        app = XiaofeiApplication(env=env)
    except Exception:
        database.stop()
        raise
    protector = IdProtector(secret_key(settings))
    registry = RegistryService(app, protector, settings.province)
    policy = PolicyService(app, settings.province)
    params = ConnectionParams.from_env(env)
    certification = CertificationService(app, policy)
    products = ProductService(certification)
    return Services(
        settings=settings,
        database=database,
        app=app,
        params=params,
        registry=registry,
        importer=HouseholdImporter(registry),
        access=AccessService(app, settings.province),
        policy=policy,
        employment=EmploymentService(app, protector, policy),
        claims=ClaimService(app, params, policy, read_wait_seconds=max(settings.read_wait_seconds, 10.0)),
        certification=certification,
        sellers=SellerService(certification),
        products=products,
        buyers=BuyerService(app, policy),
        orders=OrderService(products, group_commit=settings.group_commit),
        channel_sales=ChannelSalesService(app, policy),
        linkage=LinkageService(app, policy, params, read_wait_seconds=max(settings.read_wait_seconds, 10.0)),
    )
