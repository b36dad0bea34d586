"""Tools whose work outlives a client's patience: progress, a deadline, then `status: pending`.

The work runs as a job of the server's task group; its outcome goes into the run record, so
`get_run` can answer later (from any process) with the same result the tool would have given.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import Context

from tool_server.app import AppContext
from tool_server.generation.calls import Progress
from tool_server.runs import RunRecord, RunRecorder

logger = logging.getLogger(__name__)


def progress_reporter(ctx: Context[Any, Any], total: int) -> Progress:
    """Numbered progress notifications; best effort (the request may already have answered)."""
    done = 0

    async def report(message: str) -> None:
        nonlocal done
        done = min(done + 1, total)
        try:
            await ctx.report_progress(done, total, message)
        except Exception:
            logger.debug("progress not delivered: %s", message)

    return report


async def run_with_deadline(
    app: AppContext, recorder: RunRecorder, work: Callable[[], Awaitable[dict[str, Any]]]
) -> RunRecord:
    """Run `work`, recording its result or failure; after the sync deadline return the running record."""

    async def job() -> dict[str, Any]:
        try:
            result = await work()
        except BaseException as error:
            await recorder.fail(error)
            raise
        await recorder.finish(result)
        return result

    await app.jobs.run(recorder.run_id, job, app.settings.sync_deadline_s)
    return recorder.record.model_copy(deep=True)  # what was just written: no need to read it back
