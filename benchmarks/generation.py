"""Items 2, 3 and 7: generate_identity_image's overhead per call, 32 calls at once, and peak memory.

2. Sequential calls (1 candidate, 1024x1024) against a fake provider that answers at once, through
   an in-process MCP client; the median call and its stages from `tool_server.timing` spans.
3. `concurrency` calls at once with a provider that takes `delay_s` to answer: wall time against the
   ideal (delay + the CPU work of all calls spread over the cores), and the longest event-loop stall
   seen by a probe task that asks to wake every 5 ms.
7. The process's peak RSS during that run (the kernel's high-water mark, reset just before).
"""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from benchmarks.report import Row, median
from benchmarks.workload import GENERATE_ARGS, build_bench_app, fake_provider, in_process_client, prepare_user
from tool_server.faces.workers import warm_up_workers
from tool_server.timing import collect_stages

STAGES = ("decode", "face analysis", "provider round trip", "storage", "preview encoding")
OVERHEAD_TARGET_MS = 300.0
STALL_TARGET_MS = 100.0
WALL_TARGET_RATIO = 1.5
RSS_BUDGET_MIB = 1024.0


@dataclass
class Sample:
    wall_s: float
    cpu_s: float
    stages: dict[str, float]


async def generate(client: Client, identity_id: str) -> dict[str, Any]:
    result = await client.call_tool("generate_identity_image", {"identity_id": identity_id, **GENERATE_ARGS})
    content = result.structured_content or {}
    if result.is_error or content.get("status") != "done":
        raise RuntimeError(f"generate_identity_image did not finish: {result.content}")
    return content


async def per_call_overhead(workdir: Path, reps: int) -> Row:
    with fake_provider(delay_s=0.0) as provider:
        app = build_bench_app(workdir / "overhead", provider.base_url)
        with collect_stages() as timings:
            async with in_process_client(app) as client:
                identity_id = await prepare_user(client)
                await generate(client, identity_id)  # warm-up: face models, SDK import, first connection
                timings.take()
                samples = []
                for _ in range(reps):
                    cpu, started = time.process_time(), time.perf_counter()
                    await generate(client, identity_id)
                    wall = time.perf_counter() - started
                    samples.append(Sample(wall, time.process_time() - cpu, timings.take()))
    stage_ms = {name: median([s.stages.get(name, 0.0) for s in samples]) * 1000 for name in STAGES}
    stage_ms["other (MCP, checks, run record)"] = (
        median([s.wall_s - sum(s.stages.get(name, 0.0) for name in STAGES) for s in samples]) * 1000
    )
    wall_ms = median([s.wall_s for s in samples]) * 1000
    detail = ", ".join(f"{name} {ms:.0f}" for name, ms in stage_ms.items()) + " (ms, medians)"
    return Row(
        item=2,
        name="generate_identity_image overhead per call (median)",
        value=wall_ms,
        unit="ms",
        target=f"<= {OVERHEAD_TARGET_MS:.0f} ms",
        passed=wall_ms <= OVERHEAD_TARGET_MS,
        detail=detail,
        data={
            "reps": reps,
            "stages_ms": stage_ms,
            "cpu_ms_median": median([s.cpu_s for s in samples]) * 1000,
            "walls_ms": [round(s.wall_s * 1000, 1) for s in samples],
        },
    )


class LoopProbe:
    """Asks to wake every `interval_s`; the longest lateness is the longest event-loop stall.

    Every tenth wake-up it also samples the memory of the face worker processes `pids`; it also
    times the garbage collector's pauses, which stall the loop like any other work.
    """

    def __init__(self, pids: list[int], interval_s: float = 0.005) -> None:
        self.pids = pids
        self.interval_s = interval_s
        self.max_stall_s = 0.0
        self.max_workers_rss_kib = 0
        self.max_gc_pause_s = 0.0
        self._gc_started = 0.0
        self._stop = anyio.Event()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.max_gc_pause_s = max(self.max_gc_pause_s, time.perf_counter() - self._gc_started)

    async def run(self) -> None:
        ticks = 0
        gc.callbacks.append(self._on_gc)
        try:
            while not self._stop.is_set():
                before = time.perf_counter()
                await anyio.sleep(self.interval_s)
                self.max_stall_s = max(self.max_stall_s, time.perf_counter() - before - self.interval_s)
                ticks += 1
                if ticks % 10 == 0:
                    self.max_workers_rss_kib = max(self.max_workers_rss_kib, rss_of(self.pids))
        finally:
            gc.callbacks.remove(self._on_gc)

    def stop(self) -> None:
        self._stop.set()


def rss_kib(field: str = "VmRSS") -> int:
    """A memory figure of this process from /proc (Linux); 0 where there is none."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def face_worker_pids() -> list[int]:
    """This process's multiprocessing workers (the face worker processes), from /proc (Linux)."""
    pids: set[int] = set()
    for children in Path("/proc/self/task").glob("*/children"):
        try:
            pids.update(int(pid) for pid in children.read_text().split())
        except OSError:
            continue
    return sorted(pid for pid in pids if b"spawn_main" in _cmdline(pid))


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def cpu_seconds(pids: list[int]) -> float:
    """CPU time used so far by this process and the given children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = time.process_time()
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def rss_of(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def reset_peak_rss() -> bool:
    """Reset the kernel's RSS high-water mark (VmHWM) of this process; False where it cannot be."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


async def concurrency(workdir: Path, calls: int, delay_s: float) -> list[Row]:
    with fake_provider(delay_s=delay_s) as provider:
        app = build_bench_app(workdir / "concurrency", provider.base_url)
        async with in_process_client(app) as client:
            identity_id = await prepare_user(client)
            await generate(client, identity_id)  # warm-up, so the run measures steady state
            await warm_up_workers(app.faces.config, app.settings.face_processes)
            workers = face_worker_pids()
            idle = LoopProbe(workers)  # the machine's own noise: the probe alone, no calls
            async with anyio.create_task_group() as probing:
                probing.start_soon(idle.run)
                await anyio.sleep(1.0)
                idle.stop()
            probe = LoopProbe(workers)
            hwm_reset = reset_peak_rss()
            with collect_stages() as timings:
                async with anyio.create_task_group() as probing:
                    probing.start_soon(probe.run)
                    cpu, started = cpu_seconds(workers), time.perf_counter()
                    async with anyio.create_task_group() as group:
                        for _ in range(calls):
                            group.start_soon(generate, client, identity_id)
                    wall = time.perf_counter() - started
                    cpu_work = cpu_seconds(workers) - cpu
                    probe.stop()
            server_kib = rss_kib("VmHWM") if hwm_reset else rss_kib("VmRSS")
    cores = os.cpu_count() or 1
    ideal = delay_s + cpu_work / cores
    stall_ms = probe.max_stall_s * 1000
    server_mib, workers_mib = server_kib / 1024, probe.max_workers_rss_kib / 1024
    peak_mib = server_mib + workers_mib
    stage_s = {name: round(seconds, 3) for name, seconds in timings.take().items()}
    shared = {"calls": calls, "provider_delay_s": delay_s, "cores": cores, "face_workers": len(workers)}
    return [
        Row(
            item=3,
            name=f"{calls} concurrent calls, {delay_s:g} s provider: wall / ideal",
            value=wall / ideal,
            unit="x",
            target=f"<= {WALL_TARGET_RATIO:g}x",
            passed=wall / ideal <= WALL_TARGET_RATIO,
            detail=f"wall {wall:.2f} s; ideal {ideal:.2f} s = {delay_s:g} s + {cpu_work:.2f} s CPU "
            f"(server + {len(workers)} face workers) / {cores} cores",
            data={**shared, "wall_s": wall, "ideal_s": ideal, "cpu_s": cpu_work, "stage_totals_s": stage_s},
        ),
        Row(
            item=3,
            name=f"{calls} concurrent calls: longest event-loop stall",
            value=stall_ms,
            unit="ms",
            target=f"<= {STALL_TARGET_MS:.0f} ms",
            passed=stall_ms <= STALL_TARGET_MS,
            detail="a probe task asking to wake every 5 ms; "
            f"idle noise floor {idle.max_stall_s * 1000:.0f} ms; "
            f"longest garbage-collector pause {probe.max_gc_pause_s * 1000:.0f} ms",
            data={
                **shared,
                "max_stall_ms": stall_ms,
                "idle_max_stall_ms": idle.max_stall_s * 1000,
                "max_gc_pause_ms": probe.max_gc_pause_s * 1000,
            },
        ),
        Row(
            item=7,
            name=f"peak RSS during the {calls} concurrent calls",
            value=peak_mib,
            unit="MiB",
            target=f"<= {RSS_BUDGET_MIB:.0f} MiB (budget)",
            passed=peak_mib <= RSS_BUDGET_MIB,
            detail=f"server {server_mib:.0f} MiB ({'VmHWM' if hwm_reset else 'VmRSS'}) + "
            f"{len(workers)} face workers {workers_mib:.0f} MiB (sampled)",
            data={**shared, "server_mib": server_mib, "face_workers_mib": workers_mib},
        ),
    ]
