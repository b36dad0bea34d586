"""Likeness in worker processes: the same score as in this process, and the event loop stays free."""

from __future__ import annotations

import io
import time

import anyio
from PIL import Image

from tests import photos
from tool_server.faces import FaceAnalyzer, FaceConfig
from tool_server.faces.workers import likeness_in_worker, worker_count
from tool_server.timing import collect_stages


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def test_a_worker_scores_likeness_exactly_as_the_analyzer_does(analyzer: FaceAnalyzer) -> None:
    reference = analyzer.embedding_of(photos.astronaut())
    assert reference is not None
    image = photos.grace_hopper()

    in_worker = await likeness_in_worker(FaceConfig(), _png(image), [reference])

    assert in_worker == analyzer.likeness(image, [reference])
    assert not in_worker.passed  # another person


async def test_the_event_loop_keeps_ticking_while_workers_score(analyzer: FaceAnalyzer) -> None:
    reference = analyzer.embedding_of(photos.astronaut())
    assert reference is not None
    data = _png(photos.astronaut())
    await likeness_in_worker(FaceConfig(), data, [reference])  # the workers are up
    longest = 0.0
    done = anyio.Event()

    async def probe() -> None:
        nonlocal longest
        while not done.is_set():
            before = time.perf_counter()
            await anyio.sleep(0.005)
            longest = max(longest, time.perf_counter() - before)

    async def score_all() -> list[bool]:
        results: list[bool] = []

        async def one() -> None:
            results.append((await likeness_in_worker(FaceConfig(), data, [reference])).passed)

        async with anyio.create_task_group() as group:
            for _ in range(2 * worker_count()):
                group.start_soon(one)
        done.set()
        return results

    with collect_stages() as timings:
        async with anyio.create_task_group() as group:
            group.start_soon(probe)
            results = await score_all()
        stages = timings.take()

    assert results == [True] * 2 * worker_count()
    assert stages["face analysis"] > 0 and stages["decode"] > 0  # the workers' own timings arrive
    # dlib in a thread of this process held the GIL for ~0.2 s at a time; a worker process cannot.
    # Bounded loosely: the machine running the tests may be busy with other work.
    assert longest < 1.0
