"""Item 10: 8 generations at once with the server's default settings, against one call alone.

The fake provider takes `delay_s` per call (a real provider's seconds), so the ideal is that 8 calls
take as long as one: the server's own work (scoring likeness, storing, previews) and its limits
(provider concurrency, face worker processes) are what the ratio shows. One candidate per call,
the settings' defaults otherwise; the face workers are started first (they are warmed once a
client connects, item 9).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import anyio

from benchmarks.generation import cpu_seconds, face_worker_pids, generate
from benchmarks.report import Row, median
from benchmarks.workload import build_bench_app, fake_provider, in_process_client, prepare_user
from tool_server.faces.workers import warm_up_workers, worker_count
from tool_server.settings import Settings

RATIO_TARGET = 1.5
CALLS = 8


def _default(name: str) -> int:
    return int(Settings.model_fields[name].default)


async def concurrent_vs_one(workdir: Path, delay_s: float, reps: int) -> Row:
    concurrency = _default("provider_max_concurrency")
    with fake_provider(delay_s=delay_s) as provider:
        app = build_bench_app(workdir / "defaults", provider.base_url, provider_max_concurrency=concurrency)
        async with in_process_client(app) as client:
            identity_id = await prepare_user(client)
            await warm_up_workers(app.faces.config, app.settings.face_processes)
            await generate(client, identity_id)  # first connection, SDK import
            pids = face_worker_pids()
            singles, batches, cpu = [], [], 0.0
            for _ in range(reps):
                started = time.perf_counter()
                await generate(client, identity_id)
                singles.append(time.perf_counter() - started)
                cpu_before, started = cpu_seconds(pids), time.perf_counter()
                async with anyio.create_task_group() as group:
                    for _ in range(CALLS):
                        group.start_soon(generate, client, identity_id)
                batches.append(time.perf_counter() - started)
                cpu += cpu_seconds(pids) - cpu_before
    one, eight = median(singles), median(batches)
    ratio = eight / one
    workers = worker_count(app.settings.face_processes)
    cores = os.cpu_count() or 1
    cpu_per_call = cpu / (reps * CALLS)
    # What the ratio would be with the cores to ourselves: the calls' CPU work spread over them.
    idle_estimate = (delay_s + CALLS * cpu_per_call / min(cores, workers)) / (delay_s + cpu_per_call)
    return Row(
        item=10,
        name=f"{CALLS} concurrent generations vs one, default settings, {delay_s:g} s provider",
        value=ratio,
        unit="x",
        target=f"<= {RATIO_TARGET:g}x",
        passed=ratio <= RATIO_TARGET,
        detail=f"{CALLS} at once {eight:.2f} s, one alone {one:.2f} s (medians of {reps}); "
        f"{eight / delay_s:.2f}x the provider's {delay_s:g} s; provider concurrency {concurrency}, "
        f"{workers} face worker processes; CPU {cpu_per_call * 1000:.0f} ms per call (server + workers), "
        f"so {idle_estimate:.2f}x on {cores} idle cores",
        data={
            "one_s": singles,
            "eight_s": batches,
            "vs_provider_delay": eight / delay_s,
            "provider_max_concurrency": concurrency,
            "face_workers": workers,
            "cpu_per_call_s": cpu_per_call,
            "idle_estimate": idle_estimate,
        },
    )
