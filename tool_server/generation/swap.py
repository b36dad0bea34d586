"""face_swap's engine: the user's face put into a target image, then scored like every output.

The hosted provider gets the target first and the user's face crops after it, with the face-swap
prompt (keep pose, light and expression direction). When the caller asks for `offline`, or no
hosted provider is available, the offline classical swap (dlib landmarks + seamless clone) runs.
"""

from __future__ import annotations

import dataclasses
import io
import time
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from PIL import Image

from tool_server.app import AppContext
from tool_server.errors import InvalidInput, ProviderUnavailable
from tool_server.generation.calls import Progress, call_provider
from tool_server.generation.images import save_image
from tool_server.generation.references import UserReferences
from tool_server.generation.scoring import score_likeness
from tool_server.mime import extension_for, sniff_mime
from tool_server.prompts.identity import render
from tool_server.providers.base import ImageRequest, ImageResult, ReferenceImage
from tool_server.runs import RunRecorder

# Sizes every provider takes; the one closest to the target's aspect ratio is asked for.
_SIZES = {"1024x1024": 1.0, "1536x1024": 1.5, "1024x1536": 1024 / 1536}


@dataclass(frozen=True)
class SwapOptions:
    provider: str | None = None  # None: auto
    model: str | None = None


def output_size(width: int, height: int) -> str:
    aspect = width / height
    return min(_SIZES, key=lambda size: abs(_SIZES[size] - aspect))


async def check_target_has_face(app: AppContext, target: bytes) -> tuple[int, int]:
    """The target's size; InvalidInput (before any provider call) when it shows no face."""

    def inspect() -> tuple[tuple[int, int], bool]:
        with Image.open(io.BytesIO(target)) as image:
            image.load()
            return image.size, app.faces.main_face_box(image.convert("RGB")) is not None

    size, has_face = await anyio.to_thread.run_sync(inspect)
    if not has_face:
        raise InvalidInput(
            "The target image shows no face to replace. Choose an image with one clearly visible person "
            "facing the camera. Nothing was generated."
        )
    return size


async def swap_face(
    app: AppContext,
    user: str,
    target: bytes,
    refs: UserReferences,
    options: SwapOptions,
    recorder: RunRecorder,
    progress: Progress,
) -> dict[str, Any]:
    """Swap, score and store; returns the result kept in the run record."""
    started = time.monotonic()
    width, height = await check_target_has_face(app, target)
    await recorder.save_step("target", target, sniff_mime(target) or "image/png", "reference")
    faces = tuple(refs.face_crops or refs.photos)
    mime = sniff_mime(target) or "image/png"
    target_ref = ReferenceImage(target, mime, f"target.{extension_for(mime)}")
    request = ImageRequest(
        prompt=render("face_swap"),
        user=user,
        references=(target_ref, *faces),
        size=output_size(width, height),
        quality="high",
        model=options.model,
        task="face_swap",
    )
    await progress("swapping")
    fallback_note = None
    try:
        result, data = await _swap(app, recorder, request, options.provider, "c1")
    except ProviderUnavailable as unavailable:
        if options.provider == "offline":
            raise
        fallback_note = f"No hosted provider was available ({unavailable}); used the offline swap."
        offline = dataclasses.replace(request, model=None, quality="auto")
        result, data = await _swap(app, recorder, offline, "offline", "offline")
    await progress("scoring")
    likeness = await score_likeness(app.faces, data, refs.embeddings, app.settings.face_processes)
    await progress("saving")
    record = await save_image(
        app,
        user,
        data,
        "face_swap",
        run_id=recorder.run_id,
        provider=result.provider,
        model=result.model,
        likeness=likeness.model_dump(mode="json"),
    )
    scored = likeness.model_dump(mode="json")
    steps = [s for s in recorder.record.steps if s.kind == "swapped"]
    if steps:
        await recorder.annotate(steps[-1], image_id=record.image_id, likeness=scored)
    return {
        "image_id": record.image_id,
        "likeness": likeness.model_dump(mode="json"),
        "needs_review": not likeness.passed,
        "provider": result.provider,
        "model": result.model,
        "cost_usd": round(result.cost_usd, 6),
        "fallback": fallback_note,
        "duration_s": round(time.monotonic() - started, 3),
    }


async def _swap(
    app: AppContext, recorder: RunRecorder, request: ImageRequest, provider: str | None, label: str
) -> tuple[ImageResult, bytes]:
    return await call_provider(
        app, recorder, request, provider, step_name="swapped", kind="swapped", label=label
    )
