"""Stage timing for the benchmarks: named spans that cost one ContextVar lookup when nobody listens.

Product code marks its stages; a benchmark collects them:

    with stage("decode"):                     # product code, anywhere (event loop or worker thread)
        image.load()

    with collect_stages() as timings:         # the benchmark, around the calls it measures
        await client.call_tool(...)
    timings.take()                            # {"decode": 0.012, "storage": 0.004, ...} seconds

Spans are recorded only inside `collect_stages()`. Context variables follow tasks started later
and `anyio.to_thread.run_sync`, so a span in a worker thread lands in the caller's timings. Spans
of concurrent tasks add up (they are work done, not wall time); do not nest two spans.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import TypeVar

from storage import BlobStore

T = TypeVar("T")


class StageTimings:
    """Seconds spent per stage name, summed over spans; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        with self._lock:
            self._totals[name] = self._totals.get(name, 0.0) + seconds

    def take(self) -> dict[str, float]:
        """The totals so far, and start again from zero."""
        with self._lock:
            totals, self._totals = self._totals, {}
        return totals


_active: ContextVar[StageTimings | None] = ContextVar("coach_stage_timings", default=None)


class _Span:
    __slots__ = ("_name", "_started", "_timings")

    def __init__(self, timings: StageTimings, name: str) -> None:
        self._timings = timings
        self._name = name
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self._timings.add(self._name, time.perf_counter() - self._started)


class _NoSpan:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


_NO_SPAN = _NoSpan()


def stage(name: str) -> _Span | _NoSpan:
    """A span of stage `name` (decode, face analysis, provider round trip, storage, preview encoding)."""
    timings = _active.get()
    return _NO_SPAN if timings is None else _Span(timings, name)


def record_stage(name: str, seconds: float) -> None:
    """Add a duration measured elsewhere (in a worker process, say) to stage `name`."""
    timings = _active.get()
    if timings is not None:
        timings.add(name, seconds)


@contextmanager
def collect_stages() -> Iterator[StageTimings]:
    """Record the spans of this context (and of tasks and threads started from it) while open."""
    timings = StageTimings()
    token = _active.set(timings)
    try:
        yield timings
    finally:
        _active.reset(token)


class TimedBlobStore(BlobStore):
    """The blob store with every backend call (a worker-thread hop and the I/O) timed as `storage`."""

    async def _run(self, fn: Callable[[], T]) -> T:
        with stage("storage"):
            return await super()._run(fn)
