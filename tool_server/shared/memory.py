"""Shared state in this process's memory: correct for one process, not shared with any other."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from limits.storage import Storage


class MemoryState:
    description = (
        "shared state in memory (no COACH_IMAGE_REDIS_URL): this server must run as ONE process; "
        "set COACH_IMAGE_REDIS_URL to run several instances"
    )

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._ledger: dict[str, tuple[float, float]] = {}  # key -> (total, expires at)
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}  # key -> (lock, holders and waiters)

    def rate_storage(self) -> Storage | None:
        return None  # the limiter makes its MemoryStorage on first use (it starts a thread)

    def _get(self, key: str) -> float | None:
        entry = self._ledger.get(key)
        if entry is None or entry[1] <= self._clock():
            self._ledger.pop(key, None)
            return None
        return entry[0]

    def _set(self, key: str, value: float, ttl_s: int) -> float:
        self._ledger[key] = (round(value, 6), self._clock() + ttl_s)
        return round(value, 6)

    # No await between reading and writing a total: on one event loop each call is atomic.
    async def ledger_total(self, key: str) -> float | None:
        return self._get(key)

    async def ledger_seed(self, key: str, value: float, ttl_s: int) -> None:
        if self._get(key) is None:
            self._set(key, value, ttl_s)

    async def ledger_reserve(
        self, key: str, amount: float, limit: float, ttl_s: int
    ) -> tuple[bool, float] | None:
        total = self._get(key)
        if total is None:
            return None
        if total + amount > limit + 1e-9:
            return False, total
        return True, self._set(key, total + amount, ttl_s)

    async def ledger_add(self, key: str, delta: float, ttl_s: int) -> float:
        return self._set(key, (self._get(key) or 0.0) + delta, ttl_s)

    @asynccontextmanager
    async def lock(self, key: str, ttl_s: float) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (anyio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def close(self) -> None:
        return None
