"""dog_avatar: the canonical dog wearing a job's accessory, cached, validated, retried once."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, TypeVar

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from storage import KeyNotFound
from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.dogs.cache import preview_key
from tool_server.dogs.jobs import job_names
from tool_server.dogs.view import DogAvatarView, avatar_view
from tool_server.generation.images import preview_jpeg
from tool_server.settings import ProviderChoice
from tool_server.tools.boundary import MAKES_IMAGES, coach_errors
from tool_server.tools.results import preview_blocks, tool_result

_JOBS = ", ".join(job_names())
HEARTBEAT_S = 10.0
T = TypeVar("T")
logger = logging.getLogger(__name__)


async def with_heartbeat(ctx: Context[Any, Any], work: Callable[[], Awaitable[T]]) -> T:
    """`await work()`, reporting progress every few seconds so clients that opted in wait past 60 s.

    The work's own exception is raised as is (not wrapped in an exception group).
    """
    started = time.monotonic()

    async def beat() -> None:
        while True:
            await anyio.sleep(HEARTBEAT_S)
            elapsed = time.monotonic() - started
            try:
                await ctx.report_progress(elapsed, None, f"making the dog avatar ({elapsed:.0f} s)")
            except Exception:  # progress is best effort; the request may be ending
                logger.debug("progress not delivered")

    failure: Exception | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(beat)
        try:
            outcome = await work()
        except Exception as exc:  # re-raised below, outside the group, so it is not wrapped
            failure = exc
        finally:
            group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return outcome


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.tool(
        title="Get a dog avatar for a job",
        annotations=MAKES_IMAGES,
    )
    @coach_errors
    async def dog_avatar(
        ctx: Context[Any, Any],
        job: Annotated[
            str,
            Field(description=f"One of: {_JOBS} (default: no accessory)."),
        ],
        size: Annotated[
            str,
            Field(description="WxH, sides 256-3840."),
        ] = "1024x1024",
        background: Literal["transparent", "white"] = "transparent",
        regenerate: Annotated[
            bool,
            Field(description="Replace the cached image (a paid call): only if rejected or needs review."),
        ] = False,
        provider: ProviderChoice | None = None,
    ) -> Annotated[CallToolResult, DogAvatarView]:
        """A coach agent's avatar (not the user): the canonical dog wearing its job's accessory.

        Cached, or made and checked in up to a minute. Returns image_url, needs_review (true: a
        draft) and a preview.
        """
        chosen, user = (None if provider == "auto" else provider), acting_user(app)
        result = await with_heartbeat(
            ctx, lambda: app.dogs.get_avatar(job, size, background, regenerate, chosen, user=user)
        )
        view = avatar_view(result)
        blocks = preview_blocks(
            await _preview(app, result.image_key, fresh=not result.cached),
            uri=view.resource_uri,
            name=f"dog-{view.job}.png",
            title=f"Dog avatar: {view.job}",
            description=f"Full-size dog avatar, {view.size}, {view.background} background (PNG).",
        )
        return tool_result(view, view.message, blocks)


async def _preview(app: AppContext, image_key: str, *, fresh: bool) -> bytes:
    """The avatar's preview JPEG, kept beside it: a cache hit then costs no image decoding."""
    key = preview_key(image_key)
    if not fresh:
        with contextlib.suppress(KeyNotFound):
            return await app.blobs.get(key)
    preview = await anyio.to_thread.run_sync(preview_jpeg, await app.blobs.get(image_key))
    await app.blobs.put(key, preview, content_type="image/jpeg")
    return preview
