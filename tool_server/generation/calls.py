"""One provider request inside a run: its calls recorded, thought images and the result saved as steps."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence

from storage import StorageError
from tool_server.app import AppContext
from tool_server.errors import ProviderBlocked, ToolServerError
from tool_server.providers.base import ImageRequest, ImageResult
from tool_server.providers.recording import calls_of
from tool_server.runs import RunRecorder
from tool_server.timing import stage

Progress = Callable[[str], Awaitable[None]]
"""Reports one stage of a run to the client (a progress notification)."""


async def call_provider(
    app: AppContext,
    recorder: RunRecorder,
    request: ImageRequest,
    provider: str | None,
    *,
    step_name: str,
    kind: str,
    label: str,
    attempt: int | None = None,
    candidate: int | None = None,
) -> tuple[ImageResult, bytes]:
    """Generate with the registry's fallback; steps: `thought_{label}_{k}`, then `{step_name}_{label}`."""
    try:
        with stage("provider round trip"):
            result = await app.providers.generate_with_fallback(request, provider)
    except Exception as error:
        await recorder.add_calls(calls_of(error))
        raise
    await recorder.add_calls(result.calls)
    for number, interim in enumerate(result.interim, start=1):
        await recorder.save_step(
            f"thought_{label}_{number}",
            interim.data,
            interim.mime_type,
            "thought",
            attempt=attempt,
            candidate=candidate,
        )
    image = result.images[0]
    step = await recorder.save_step(
        f"{step_name}_{label}", image.data, image.mime_type, kind, attempt=attempt, candidate=candidate
    )
    if result.turns:
        # What a later refine sends back (Gemini): kept beside the image, readable from any process.
        key = step.key.rsplit(".", 1)[0] + ".turns.json"
        await recorder.blobs.put(key, json.dumps(result.turns[0]).encode(), content_type="application/json")
        await recorder.annotate(step, conversation_key=key)
    return result, image.data


CandidateError = ToolServerError | StorageError
"""What one concurrent candidate may fail with, kept so the round can go on without it."""


def end_if_hopeless(made: Sequence[object], errors: Sequence[CandidateError]) -> None:
    """After a round of candidates, raise what ends the run: a storage failure at once (another
    candidate would not help), or, when nothing was made, the provider's refusal (a block first)."""
    storage_failure = next((e for e in errors if isinstance(e, StorageError)), None)
    if storage_failure is not None:
        raise storage_failure
    if errors and not made:
        raise next((e for e in errors if isinstance(e, ProviderBlocked)), errors[0])
