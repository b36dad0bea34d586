"""Background jobs with a deadline: a tool waits up to N seconds, then answers `pending`.

The job keeps running in the server's task group (started by the MCP lifespan); its outcome is
persisted in the run record, so `get_run` can answer from any process.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import TaskGroup

logger = logging.getLogger(__name__)


@dataclass
class Job:
    run_id: str
    done: anyio.Event = field(default_factory=anyio.Event)
    result: Any = None
    error: BaseException | None = None


class JobRunner:
    def __init__(self) -> None:
        self._group: TaskGroup | None = None
        self.active: dict[str, Job] = {}

    def attach(self, group: TaskGroup | None) -> None:
        self._group = group

    async def run(
        self, run_id: str, work: Callable[[], Awaitable[Any]], deadline_s: float
    ) -> tuple[bool, Any]:
        """Start `work`; returns (finished, result). Errors of finished work are raised here."""
        job = Job(run_id)
        self.active[run_id] = job

        async def runner() -> None:
            try:
                job.result = await work()
            except BaseException as exc:  # delivered to the waiter, or logged if nobody waits
                job.error = exc
                if not isinstance(exc, Exception):
                    raise
            finally:
                job.done.set()
                self.active.pop(run_id, None)

        if self._group is None:
            await runner()  # no server task group (CLI, tests): run inline
        else:
            self._group.start_soon(runner)
            with anyio.move_on_after(deadline_s):
                await job.done.wait()
        if not job.done.is_set():
            return False, None
        if job.error is not None:
            raise job.error
        return True, job.result
