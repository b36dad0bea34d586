"""Single flight: concurrent calls with the same key share one in-flight computation.

The first caller runs the computation; the others wait for it and get its value, or its
exception. The entry is removed as soon as the computation ends, so a later call starts afresh.
If the running caller is cancelled (its client went away), the waiters are not failed with a
cancellation that is not theirs: one of them takes over and runs the computation itself.
Works on any anyio backend (asyncio or trio); it is not shared across processes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import anyio

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class _Call(Generic[T]):
    def __init__(self) -> None:
        self.done = anyio.Event()
        self.result: tuple[T] | None = None  # a 1-tuple, so that a computed None is told from none yet
        self.error: Exception | None = None


class SingleFlight(Generic[K, T]):
    def __init__(self) -> None:
        self._calls: dict[K, _Call[T]] = {}

    def __len__(self) -> int:
        """Computations in flight."""
        return len(self._calls)

    async def do(self, key: K, compute: Callable[[], Awaitable[T]]) -> T:
        """`await compute()`, unless a call with `key` is already running: then its outcome."""
        while (running := self._calls.get(key)) is not None:
            await running.done.wait()
            if running.error is not None:
                raise running.error
            if running.result is not None:
                return running.result[0]
        call: _Call[T] = _Call()
        self._calls[key] = call
        try:
            call.result = (await compute(),)
            return call.result[0]
        except Exception as exc:
            call.error = exc
            raise
        finally:
            # On cancellation neither result nor error is set: waiters loop and one takes over.
            del self._calls[key]
            call.done.set()
