"""Item 1: cold start, process spawn to an answered `tools/list` over real stdio, against a baseline.

The baseline is `benchmarks/minimal_server.py` (one tool) under the same interpreter. The two are
started in turns, `reps` times each, through the SDK's stdio client; the figure is the ratio of the
medians. Both pay the interpreter start, the `mcp` import and the client's own work alike.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from mcp import Client, StdioServerParameters

from benchmarks.report import Row, median

RATIO_TARGET = 1.3
ROOT = Path(__file__).resolve().parents[1]


def _env(storage: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_IMAGE_")}
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env.update(
        PYTHONPATH=pythonpath,
        COACH_IMAGE_STORAGE_URL=str(storage),
        COACH_IMAGE_USER="bench",
        COACH_IMAGE_LOG_LEVEL="WARNING",  # its start-up line would land in the table's output
    )
    return env


async def time_to_tools_list(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    """Seconds from spawning `python args` to its answer to tools/list, and the number of tools."""
    params = StdioServerParameters(command=sys.executable, args=args, env=env, cwd=str(cwd))
    started = time.perf_counter()
    async with Client(params) as client:
        tools = await client.list_tools()
        elapsed = time.perf_counter() - started
    return elapsed, len(tools.tools)


async def cold_start(reps: int) -> Row:
    ours: list[float] = []
    baseline: list[float] = []
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        env = _env(Path(tmp) / "data")
        server_args = ["-m", "tool_server"]
        minimal_args = [str(ROOT / "benchmarks" / "minimal_server.py")]
        # One untimed start of each: the OS file cache, not our code, would otherwise dominate the first.
        await time_to_tools_list(server_args, env, Path(tmp))
        await time_to_tools_list(minimal_args, env, Path(tmp))
        for _ in range(reps):
            seconds, tool_count = await time_to_tools_list(server_args, env, Path(tmp))
            ours.append(seconds)
            baseline.append((await time_to_tools_list(minimal_args, env, Path(tmp)))[0])
    ratio = median(ours) / median(baseline)
    return Row(
        item=1,
        name="cold start to tools/list over stdio, vs minimal MCPServer",
        value=ratio,
        unit="x",
        target=f"<= {RATIO_TARGET:g}x",
        passed=ratio <= RATIO_TARGET,
        detail=f"ours {median(ours) * 1000:.0f} ms ({tool_count} tools), minimal "
        f"{median(baseline) * 1000:.0f} ms; medians of {reps}",
        data={
            "reps": reps,
            "ours_ms": [round(s * 1000, 1) for s in ours],
            "baseline_ms": [round(s * 1000, 1) for s in baseline],
            "tools": tool_count,
        },
    )
