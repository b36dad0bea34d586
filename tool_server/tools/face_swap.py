"""face_swap: the user's face put into a target image (one of theirs, or one the coach sends)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.errors import InvalidInput
from tool_server.faces.records import verdict_of, with_verdict
from tool_server.generation.images import get_image
from tool_server.generation.references import load_references
from tool_server.imaging.decode import DecodeLimits, decode_untrusted, encode_jpeg
from tool_server.prompts.identity import PROMPT_VERSION
from tool_server.runs import RunRecord
from tool_server.settings import ProviderChoice
from tool_server.tools.boundary import MAKES_IMAGES, coach_errors
from tool_server.tools.long_runs import progress_reporter, run_with_deadline
from tool_server.tools.photos import read_image_source
from tool_server.tools.results import image_blocks, tool_result
from tool_server.tools.run_views import IntermediateView, ViewStatus, intermediates_of, unfinished
from tool_server.userdata import keys
from tool_server.userdata.models import ImageRecord


class FaceSwapResult(BaseModel):
    status: ViewStatus
    run_id: str
    image_id: str | None = None
    image_url: str | None = None
    likeness: dict[str, Any] | None = None
    needs_review: bool | None = Field(
        None, description="True: the face did not pass the likeness check; never present it as the user."
    )
    provider: str | None = None
    model: str | None = None
    cost_usd: float | None = None
    fallback: str | None = Field(None, description="Set when the offline swap stood in for the provider.")
    intermediates: list[IntermediateView] = Field(default_factory=list)
    duration_s: float | None = None
    message: str
    error: str | None = None


async def swap_run_view(app: AppContext, user: str, record: RunRecord) -> FaceSwapResult:
    intermediates = await intermediates_of(app, record)
    if record.status != "done" or record.result is None:
        return FaceSwapResult(**unfinished(record), intermediates=intermediates)
    result = record.result
    image = await app.docs.read(keys.image_record(user, result["image_id"]), ImageRecord)
    return FaceSwapResult(
        status="done",
        run_id=record.run_id,
        image_id=result["image_id"],
        image_url=await app.url_for(image.key) if image else None,
        likeness=with_verdict(result["likeness"]),
        needs_review=result["needs_review"],
        provider=result["provider"],
        model=result["model"],
        cost_usd=result["cost_usd"],
        fallback=result.get("fallback"),
        intermediates=intermediates,
        duration_s=result["duration_s"],
        message=_summary(result),
    )


def _summary(result: dict[str, Any]) -> str:
    likeness = result["likeness"]
    note = f" {result['fallback']}" if result.get("fallback") else ""
    if result["provider"] == "offline":
        note += " (offline classical swap: a local composite, not an AI image)"
    if result["needs_review"]:
        found = verdict_of(likeness)
        return (
            f"The swapped face did not pass the likeness check ({found}).{note} Do NOT present it as the "
            "user; try again, or another target image."
        )
    return (
        f"Swapped the user's face in ({result['image_id']}, likeness {verdict_of(likeness)}).{note} A "
        "preview is attached and the full image is linked."
    )


def _upright_jpeg(data: bytes, limits: DecodeLimits) -> bytes:
    """The sent target checked like an uploaded photo (caps, magic bytes), upright, without metadata."""
    return encode_jpeg(decode_untrusted(data, limits).image, quality=95)


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.tool(
        title="Swap the user's face into an image",
        annotations=MAKES_IMAGES,
    )
    @coach_errors
    async def face_swap(
        ctx: Context[Any, Any],
        target_image_id: Annotated[str | None, Field(description="One of the user's image_ids.")] = None,
        target_image_base64: Annotated[
            str | None, Field(description="Or an image of one person (JPEG, PNG, WebP), base64.")
        ] = None,
        photo_ids: Annotated[list[str] | None, Field(description="Default: all reference photos.")] = None,
        provider: Annotated[ProviderChoice | None, Field(description="offline: the local swap.")] = None,
        model: str | None = None,
    ) -> Annotated[CallToolResult, FaceSwapResult]:
        """Put the user's face into a target image of one person: a right scene, the wrong face.

        Returns image_id, likeness, needs_review and a preview; pending: get_run.
        """
        from tool_server.generation.swap import SwapOptions, swap_face  # loaded on first use

        user = acting_user(app)
        if (target_image_id is None) == (target_image_base64 is None):
            raise InvalidInput("Give exactly one of target_image_id or target_image_base64.")
        if target_image_id is not None:
            record = await get_image(app, user, target_image_id)
            target = await app.blobs.get(record.key)
        else:
            sent, _ = await read_image_source(app, target_image_base64, None)
            target = await anyio.to_thread.run_sync(_upright_jpeg, sent, app.photos.limits)
        refs = await load_references(app, user, photo_ids)
        options = SwapOptions(provider=None if provider in (None, "auto") else provider, model=model)
        inputs = {
            "target_image_id": target_image_id,
            "target_sent": target_image_base64 is not None,
            "provider": options.provider,
            "model": model,
            **refs.run_inputs(app.settings.likeness_threshold),
        }
        recorder = await app.runs.start(user, "face_swap", inputs, PROMPT_VERSION)
        report = progress_reporter(ctx, 4)
        await report("preparing references")
        run = await run_with_deadline(
            app, recorder, lambda: swap_face(app, user, target, refs, options, recorder, report)
        )
        view = await swap_run_view(app, user, run)
        blocks = await image_blocks(app, user, view.image_id, "Face swap") if view.image_id else []
        return tool_result(view, view.message, blocks)
