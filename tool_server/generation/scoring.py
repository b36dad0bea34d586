"""Likeness of a generated image to the user's references, off the event loop."""

from __future__ import annotations

import io
from collections.abc import Sequence

import anyio.to_thread
from PIL import Image

from tool_server.faces import FaceAnalyzer, Likeness
from tool_server.metrics import observe_likeness


async def score_likeness(
    analyzer: FaceAnalyzer, data: bytes, references: Sequence[Sequence[float]]
) -> Likeness:
    def measure() -> Likeness:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return analyzer.likeness(image.convert("RGB"), references)

    likeness = await anyio.to_thread.run_sync(measure)
    observe_likeness(likeness.passed)
    return likeness
