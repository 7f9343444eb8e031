"""Answers of the dashboard reads kept per API process while the read models they come from stand still.

A dashboard answer is a function of the dashboard projection's rows (and, for a province, the registry's), and
those rows change only where the projection's tracking row changes in the same transaction: a batch moves its
position, a retry of a halted county touches it, a rebuild renames in a schema with a new one. So an answer
computed after reading the tracking rows (position and row version) is valid for as long as they are the same:
each read still authenticates, checks the caller's scope and the county's halted parts, and reads them (one small
query, ``status.check_partition``); only the answer's own queries are saved. An entry is served only at a stamp
equal to its own; entries are evicted least recently used first."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class ReadCache:
    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[tuple[int, ...], Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    async def get(self, key: Hashable, stamp: tuple[int, ...], compute: Callable[[], Awaitable[T]]) -> T:
        """The answer for ``key`` computed at ``stamp`` (now, or by an earlier read at the same positions)."""
        item = self._items.get(key)
        if item is not None and item[0] == stamp:
            self._items.move_to_end(key)
            self.hits += 1
            return item[1]  # type: ignore[no-any-return]
        self.misses += 1
        value = await compute()
        self._items[key] = (stamp, value)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value
