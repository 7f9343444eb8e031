"""Group commit of orders: the placings of many concurrent requests decided one by one and written in ONE
transaction.

The event store takes a table lock for every save (so that commit order is log order), which caps one save per
request near a couple of thousand a second whatever the concurrency, and each save costs its own connection check,
lock, insert and commit. Here one thread takes every placing waiting in the queue, loads what they all need with
two queries (orders, buyers, products, certificates; then the sellers' certificates), and decides each placing on
its own against the products as the placings before it in the group left them: each is accepted or refused on its
own (a refusal writes nothing). The accepted orders and every product's stock events are then recorded together,
and no request is answered before that transaction commits.

If the group's transaction fails on a version conflict (a writer outside the group changed a product: a stock
adjustment, a cancellation, another process), none of it was written: every request of the group, refused ones
included (a refusal may have depended on the group), is placed again on its own by the ordinary path, with its
retries. A refusal of the store itself is handled the same way, so that it answers only the placing that caused
it; any other failure (the database unreachable) is every request's failure.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from copy import deepcopy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from xiaofei.domain.consumption.buyers import Buyer
from xiaofei.domain.consumption.certification import Certification
from xiaofei.domain.consumption.orders import Order
from xiaofei.domain.consumption.products import Product
from xiaofei.domain.errors import Conflict, NotFound, XiaofeiError

if TYPE_CHECKING:
    from xiaofei.application.consumption.orders import OrderService, Placed

log = logging.getLogger("xiaofei.orders")

MAX_GROUP = 256
"""Placings decided in one transaction at most (the rest wait for the next)."""
WAIT_SECONDS = 120.0


LATE = "the order could not be placed in time; try again with the same Idempotency-Key"


def _settle(answered: asyncio.Future[None]) -> None:
    if not answered.done():
        answered.set_result(None)


class _Alone(Exception):
    """This placing goes through the ordinary path after all."""


@dataclass
class Placing:
    buyer_key: str
    key: str
    lines: list[tuple[UUID, int]]
    tag: str | None
    actor: str
    fingerprint: str
    order_id: UUID
    done: threading.Event = field(default_factory=threading.Event)
    notify: Callable[[], None] | None = None
    """Called (on the committing thread) once the placing is answered: wakes a waiting event loop."""
    result: Placed | None = None
    error: BaseException | None = None

    @property
    def product_ids(self) -> list[UUID]:
        return sorted({p for p, _ in self.lines})


class GroupCommitter:
    def __init__(self, orders: OrderService, max_group: int = MAX_GROUP) -> None:
        self.orders = orders
        self.max_group = max_group
        self.queue: queue.Queue[Placing] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self.groups = 0
        self.placed = 0
        self.sellers: dict[UUID, str] = {}
        """Product → seller, for the products met so far (a product's seller never changes)."""

    def place(self, placing: Placing) -> Placed:
        """Queue the placing and wait for its group's transaction; a placing the group gives back is placed alone."""
        self._ensure_thread()
        self.queue.put(placing)
        if not placing.done.wait(WAIT_SECONDS):
            raise Conflict(LATE)
        return self._answer(placing) or self.orders.place_alone(placing)

    async def place_async(self, placing: Placing) -> Placed:
        """The same from an event loop, without holding a worker thread while the group commits (a placing given
        back is placed alone in the loop's default executor)."""
        self._ensure_thread()
        loop = asyncio.get_running_loop()
        answered = loop.create_future()
        placing.notify = lambda: loop.call_soon_threadsafe(_settle, answered)
        self.queue.put(placing)
        try:
            await asyncio.wait_for(asyncio.shield(answered), WAIT_SECONDS)
        except asyncio.TimeoutError:
            raise Conflict(LATE) from None
        return self._answer(placing) or await loop.run_in_executor(None, self.orders.place_alone, placing)

    @staticmethod
    def _answer(placing: Placing) -> Placed | None:
        """The group's answer, or None when the group gave the placing back."""
        if isinstance(placing.error, _Alone):
            return None
        if placing.error is not None:
            raise placing.error
        assert placing.result is not None
        return placing.result

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="order-group-commit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            group = [self.queue.get()]
            while len(group) < self.max_group:
                try:
                    group.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._commit(group)
            except BaseException as e:  # noqa: BLE001 - every waiting request gets the failure, the thread lives on
                if not isinstance(e, (XiaofeiError, IntegrityError)):
                    log.exception("order group failed")
                for p in group:
                    if not p.done.is_set():
                        p.error = e
            finally:
                for p in group:
                    p.done.set()
                    if p.notify is not None:
                        p.notify()

    def _commit(self, group: list[Placing]) -> None:
        app = self.orders.app
        wanted: list[UUID] = []
        for p in group:
            wanted += [p.order_id, Buyer.create_id(p.buyer_key), *p.product_ids,
                       *(Certification.create_id("product", str(i)) for i in p.product_ids)]
            # a product's seller never changes: for a product met before, its seller's certificate comes along
            wanted += [Certification.create_id("seller", self.sellers[i]) for i in p.product_ids if i in self.sellers]
        # the cached objects themselves: only read here, and a product is copied before a placing changes it
        found: dict[UUID, Any] = app.get_many(wanted, copy=False)
        for a in found.values():
            if isinstance(a, Product):
                self.sellers[a.id] = a.seller
        seller_certs = {Certification.create_id("seller", a.seller) for a in found.values() if isinstance(a, Product)}
        missing = sorted(seller_certs - set(wanted))
        if missing:
            found.update(app.get_many(missing, copy=False))
        for cid in seller_certs:
            found.setdefault(cid, None)  # known not to exist: no second look
        changed: dict[UUID, Product] = {}  # the products as the accepted placings left them (events pending)
        accepted: list[tuple[Placing, Order]] = []
        answers: list[tuple[Placing, Placed | BaseException]] = []
        placed_now: set[UUID] = set()
        for p in group:
            try:
                if p.order_id in placed_now:
                    raise _Alone()  # the same key twice in one group: the second sees the first once committed
                existing = found.get(p.order_id)
                if isinstance(existing, Order):
                    answers.append((p, self.orders.replay(existing, p)))
                    continue
                buyer = found.get(Buyer.create_id(p.buyer_key))
                if not isinstance(buyer, Buyer):
                    raise NotFound(f"no buyer {p.buyer_key}")
                view = dict(found)
                for i in p.product_ids:
                    if i in changed:
                        # the group's own copy; a placing of several products copies it again, since a later
                        # line refused would leave the earlier lines' stock taken (one line fails before changing)
                        view[i] = changed[i] if len(p.product_ids) == 1 else deepcopy(changed[i])
                    elif isinstance(found.get(i), Product):
                        view[i] = deepcopy(found[i])
                order, products = self.orders.decide(view, buyer, p.key, p.fingerprint, p.lines, p.tag, p.actor)
            except _Alone as e:
                answers.append((p, e))
                continue
            except XiaofeiError as e:
                answers.append((p, e))
                continue
            for product in products:
                changed[product.id] = product
            placed_now.add(order.id)
            accepted.append((p, order))
        if accepted:
            try:
                position = app.record(*(o for _, o in accepted), *changed.values())
            except (IntegrityError, XiaofeiError):
                # nothing of the group was written: each placing is decided again on its own (a refusal of the
                # store that one placing caused is then that placing's answer alone)
                for p in group:
                    p.error = _Alone()
                return
            self.groups += 1
            self.placed += len(accepted)
            cache = app.repository.cache
            if cache is not None:
                for product in changed.values():  # as committed: the next group need not fast-forward them
                    cache.put(product.id, product)
            for p, order in accepted:
                p.result = self.orders.placed(order, position)
        for p, answer in answers:
            if isinstance(answer, BaseException):
                p.error = answer
            else:
                p.result = answer
