"""Likeness scoring in worker processes, so that dlib never holds the server's GIL.

dlib keeps the GIL while it detects and embeds (about 0.2 s at a time on the 2-core reference
machine), so run in a worker thread it freezes the event loop: 32 concurrent generations stalled
it for 1.3 s (`python -m benchmarks`, item 3). In a worker process the event loop only waits for
the result. One pool per process and face configuration, started on first use with one worker per
CPU (or `face_processes`); each worker loads the models once, when it starts. The image bytes go
to the worker as they are, so decoding happens there too.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from PIL import Image

from tool_server.faces.analyzer import FaceAnalyzer, FaceConfig
from tool_server.faces.records import Likeness
from tool_server.timing import record_stage

_pools: dict[tuple[FaceConfig, int], ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()
_worker_analyzers: dict[FaceConfig, FaceAnalyzer] = {}  # in each worker process


def worker_count(processes: int = 0) -> int:
    return processes if processes > 0 else os.cpu_count() or 1


def pool_for(config: FaceConfig, processes: int = 0) -> ProcessPoolExecutor:
    """The shared pool for `config` (spawned workers: forking a threaded server is unsafe)."""
    key = (config, worker_count(processes))
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = ProcessPoolExecutor(
                key[1],
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(config,),
            )
            _pools[key] = pool
        return pool


async def likeness_in_worker(
    config: FaceConfig, data: bytes, references: Sequence[Sequence[float]], processes: int = 0
) -> Likeness:
    """`FaceAnalyzer.likeness` of the encoded image `data`, computed in a worker process."""
    refs = [list(map(float, vector)) for vector in references]
    try:
        future = pool_for(config, processes).submit(_likeness, config, data, refs)
        likeness, decode_s, analysis_s = await asyncio.wrap_future(future)
    except BrokenProcessPool:
        # A worker died (killed for memory, say): start a fresh pool and score once more.
        _discard(config, processes)
        future = pool_for(config, processes).submit(_likeness, config, data, refs)
        likeness, decode_s, analysis_s = await asyncio.wrap_future(future)
    record_stage("decode", decode_s)
    record_stage("face analysis", analysis_s)
    return likeness


async def warm_up_workers(config: FaceConfig, processes: int = 0) -> None:
    """Start every worker (each loads the models) before the first image needs scoring."""
    pool = pool_for(config, processes)
    await asyncio.gather(*(asyncio.wrap_future(pool.submit(_pause)) for _ in range(worker_count(processes))))


def start_workers(config: FaceConfig, processes: int = 0) -> None:
    """`warm_up_workers` for a plain thread: returns once every worker has started."""
    pool = pool_for(config, processes)
    for future in [pool.submit(_pause) for _ in range(worker_count(processes))]:
        future.result()


def _discard(config: FaceConfig, processes: int) -> None:
    with _pools_lock:
        pool = _pools.pop((config, worker_count(processes)), None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _start_worker(config: FaceConfig) -> None:
    # Models missing, say: the first real call raises that again, with its clear message.
    with contextlib.suppress(Exception):
        _analyzer(config).warm_up()


def _analyzer(config: FaceConfig) -> FaceAnalyzer:
    analyzer = _worker_analyzers.get(config)
    if analyzer is None:
        analyzer = _worker_analyzers[config] = FaceAnalyzer(config)
    return analyzer


def _pause() -> None:
    time.sleep(0.2)  # long enough that each warm-up task lands in a worker of its own


def _likeness(
    config: FaceConfig, data: bytes, references: list[list[float]]
) -> tuple[Likeness, float, float]:
    started = time.perf_counter()
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
    decoded = time.perf_counter()
    likeness = _analyzer(config).likeness(rgb, references)
    return likeness, decoded - started, time.perf_counter() - decoded
