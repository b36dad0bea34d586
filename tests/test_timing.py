"""Stage timing: spans land in the collector of their context, threads included, and nowhere else."""

from __future__ import annotations

import anyio
import anyio.to_thread

from tool_server.timing import collect_stages, record_stage, stage


def _work_in_thread() -> None:
    with stage("decode"):
        sum(range(10_000))


async def test_spans_in_tasks_and_worker_threads_are_collected_per_stage() -> None:
    with collect_stages() as timings:
        with stage("storage"):
            await anyio.sleep(0.01)
        async with anyio.create_task_group() as group:
            group.start_soon(anyio.to_thread.run_sync, _work_in_thread)
        record_stage("face analysis", 0.25)
        first = timings.take()
        with stage("storage"):
            pass
        second = timings.take()

    assert set(first) == {"storage", "decode", "face analysis"}
    assert first["storage"] >= 0.01 and first["decode"] > 0 and first["face analysis"] == 0.25
    assert set(second) == {"storage"}  # take() started again from zero


async def test_without_a_collector_spans_record_nothing() -> None:
    with stage("decode"):
        pass
    record_stage("decode", 1.0)
    with collect_stages() as timings:
        pass

    assert timings.take() == {}
