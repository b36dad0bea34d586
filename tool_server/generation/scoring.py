"""Likeness of a generated image to the user's references, in a face worker process.

Not in a worker thread: dlib holds the GIL while it runs and would stall the event loop
(see `tool_server.faces.workers`).
"""

from __future__ import annotations

from collections.abc import Sequence

from tool_server.faces import FaceAnalyzer, Likeness
from tool_server.faces.workers import likeness_in_worker
from tool_server.metrics import observe_likeness


async def score_likeness(
    analyzer: FaceAnalyzer, data: bytes, references: Sequence[Sequence[float]], processes: int = 0
) -> Likeness:
    """`analyzer.likeness` of the encoded image `data`; `processes` sizes the worker pool (0: one per CPU)."""
    likeness = await likeness_in_worker(analyzer.config, data, references, processes)
    observe_likeness(likeness.passed)
    return likeness
