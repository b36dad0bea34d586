"""generate_avatar and approve_avatar: the seed's two-stage avatar (headshot, then full body)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.errors import InvalidInput, NotFound, PreconditionMissing
from tool_server.faces.records import verdict_of, with_verdict
from tool_server.generation.images import get_image
from tool_server.generation.references import load_references
from tool_server.generation.sizes import ImageSize
from tool_server.ids import check_id
from tool_server.prompts.identity import PROMPT_VERSION
from tool_server.runs import RunRecord
from tool_server.settings import ProviderChoice
from tool_server.tools.boundary import MAKES_IMAGES, coach_errors
from tool_server.tools.long_runs import progress_reporter, run_with_deadline
from tool_server.tools.photos import read_image_source
from tool_server.tools.results import image_blocks, tool_result
from tool_server.tools.run_views import IntermediateView, ViewStatus, intermediates_of, unfinished
from tool_server.userdata import keys
from tool_server.userdata.models import AvatarEntry, AvatarIndex, ImageRecord


class AvatarView(BaseModel):
    avatar_id: str
    number: int
    passed: bool = Field(description="The headshot passed the likeness check.")
    approved: bool
    likeness: dict[str, Any] | None
    headshot_image_id: str
    headshot_name: str
    headshot_url: str
    fullbody_image_id: str | None = None
    fullbody_name: str | None = None
    fullbody_url: str | None = None
    provider: str


class AvatarResult(BaseModel):
    status: ViewStatus
    run_id: str
    avatars: list[AvatarView] = Field(default_factory=list)
    best_avatar_id: str | None = None
    needs_review: bool | None = Field(None, description="True: no headshot passed the likeness check.")
    provider: str | None = None
    model: str | None = None
    cost_usd: float | None = None
    intermediates: list[IntermediateView] = Field(default_factory=list)
    duration_s: float | None = None
    message: str
    error: str | None = None


class ApproveAvatarResult(BaseModel):
    avatar_id: str
    headshot_image_id: str
    fullbody_image_id: str | None
    message: str


async def avatar_view(app: AppContext, user: str, entry: AvatarEntry, approved_id: str | None) -> AvatarView:
    async def url(image_id: str | None) -> str | None:
        if image_id is None:
            return None
        record = await app.docs.read(keys.image_record(user, image_id), ImageRecord)
        return await app.url_for(record.key) if record else None

    return AvatarView(
        avatar_id=entry.avatar_id,
        number=entry.number,
        passed=entry.passed,
        approved=entry.avatar_id == approved_id,
        likeness=with_verdict(entry.likeness),
        headshot_image_id=entry.headshot_image_id,
        headshot_name=entry.headshot_name,
        headshot_url=await url(entry.headshot_image_id) or "",
        fullbody_image_id=entry.fullbody_image_id,
        fullbody_name=entry.fullbody_name,
        fullbody_url=await url(entry.fullbody_image_id),
        provider=entry.provider,
    )


async def avatar_run_view(app: AppContext, user: str, record: RunRecord) -> AvatarResult:
    intermediates = await intermediates_of(app, record)
    if record.status != "done" or record.result is None:
        return AvatarResult(**unfinished(record), intermediates=intermediates)
    result = record.result
    index = await app.docs.read(keys.avatar_index(user), AvatarIndex) or AvatarIndex()
    entries = [e for e in (index.find(a) for a in result["avatar_ids"]) if e is not None]
    views = [await avatar_view(app, user, e, index.approved_avatar_id) for e in entries]
    return AvatarResult(
        status="done",
        run_id=record.run_id,
        avatars=views,
        best_avatar_id=result["best_avatar_id"],
        needs_review=result["needs_review"],
        provider=result["provider"],
        model=result["model"],
        cost_usd=result["cost_usd"],
        intermediates=intermediates,
        duration_s=result["duration_s"],
        message=_summary(result, views),
    )


def _summary(result: dict[str, Any], views: list[AvatarView]) -> str:
    passed = [v for v in views if v.passed]
    if not passed:
        return (
            f"None of the {len(views)} headshot(s) passed the likeness check, so none should become the "
            "user's avatar. Generate again, or ask the user for clearer, well-lit reference photos."
        )
    best = next(v for v in views if v.avatar_id == result["best_avatar_id"])
    verdict = verdict_of(best.likeness or {})
    return (
        f"Made {len(views)} avatar(s); {len(passed)} passed the likeness check. The best is "
        f"{best.avatar_id} (headshot face distance {verdict}); its headshot preview is attached. Show the "
        "user, and when they are happy call approve_avatar with the avatar_id they chose."
    )


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.tool(
        title="Generate the user's avatar",
        annotations=MAKES_IMAGES,
    )
    @coach_errors
    async def generate_avatar(
        ctx: Context[Any, Any],
        candidates: Annotated[int | None, Field(ge=1, le=3)] = None,
        image_size: Annotated[ImageSize, Field(description="2K: slower, dearer.")] = "1K",
        provider: ProviderChoice | None = None,
        model: str | None = None,
        headshot_image_base64: Annotated[
            str | None, Field(description="The user's own headshot (then only the full body is made).")
        ] = None,
        headshot_image_id: Annotated[
            str | None, Field(description="Or an image_id of theirs as headshot.")
        ] = None,
    ) -> Annotated[CallToolResult, AvatarResult]:
        """Make the user's avatar: studio headshots scored for likeness, then full-body shots.

        Needs reference photos. Returns avatars (avatar_id, passed) and a preview; pending:
        get_run. Next: approve_avatar.
        """
        from tool_server.generation.avatars import AvatarOptions, make_avatars  # loaded on first use

        user = acting_user(app)
        count = candidates or min(app.settings.default_candidates, 3)
        refs = await load_references(app, user)
        given = await _given_headshot(app, user, headshot_image_base64, headshot_image_id)
        headshot, headshot_likeness = None, None
        if given is not None:
            from tool_server.generation.headshot import checked_headshot

            headshot, headshot_likeness = await checked_headshot(app, given, refs)
            count = 1
        options = AvatarOptions(
            candidates=count,
            image_size=image_size,
            provider=None if provider in (None, "auto") else provider,
            model=model,
            headshot=headshot,
            headshot_likeness=headshot_likeness,
        )
        inputs = {
            "candidates": count,
            "image_size": image_size,
            "provider": options.provider,
            "model": model,
            "headshot_given": headshot_image_id or ("base64" if headshot_image_base64 else None),
            **refs.run_inputs(app.settings.likeness_threshold),
        }
        recorder = await app.runs.start(user, "avatar", inputs, PROMPT_VERSION)
        report = progress_reporter(ctx, 2 + app.settings.max_attempts * (1 + 2 * count))
        await report("preparing references")
        record = await run_with_deadline(
            app, recorder, lambda: make_avatars(app, user, refs, options, recorder, report)
        )
        view = await avatar_run_view(app, user, record)
        return tool_result(view, view.message, await avatar_blocks(app, user, view))

    @server.tool(
        title="Approve an avatar",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
    )
    @coach_errors
    async def approve_avatar(
        avatar_id: Annotated[str, Field(description="From generate_avatar.")],
    ) -> ApproveAvatarResult:
        """Make the avatar the user chose (one that passed likeness) the reference of strategy avatar."""
        user = acting_user(app)
        check_id(avatar_id, "avatar", prefix="avt_")

        def approve(current: AvatarIndex | None) -> AvatarIndex:
            index = current or AvatarIndex()
            entry = index.find(avatar_id)
            if entry is None:
                raise NotFound(f"No avatar with id {avatar_id!r}. Use an avatar_id generate_avatar returned.")
            if not entry.passed:
                raise PreconditionMissing(
                    f"Avatar {avatar_id} did not pass the likeness check, so it would put a stranger's face "
                    "into every identity image. Approve one that passed, or call generate_avatar again."
                )
            return index.model_copy(update={"approved_avatar_id": avatar_id})

        index = await app.docs.update(keys.avatar_index(user), AvatarIndex, approve)
        entry = index.find(avatar_id)
        assert entry is not None
        return ApproveAvatarResult(
            avatar_id=avatar_id,
            headshot_image_id=entry.headshot_image_id,
            fullbody_image_id=entry.fullbody_image_id,
            message=f"Approved avatar {avatar_id}. generate_identity_image can now use strategy avatar.",
        )


async def _given_headshot(
    app: AppContext, user: str, image_base64: str | None, image_id: str | None
) -> bytes | None:
    """The bytes of the headshot the coach gave, if any (checked in `headshot.py`)."""
    if image_base64 is not None and image_id is not None:
        raise InvalidInput("Give at most one of headshot_image_base64 and headshot_image_id.")
    if image_id is not None:
        return await app.blobs.get((await get_image(app, user, image_id)).key)
    if image_base64 is not None:
        data, _ = await read_image_source(app, image_base64, None)
        return data
    return None


async def avatar_blocks(app: AppContext, user: str, view: AvatarResult) -> list[Any]:
    best = next((a for a in view.avatars if a.avatar_id == view.best_avatar_id), None)
    if best is None:
        return []
    return await image_blocks(app, user, best.headshot_image_id, f"Avatar headshot {best.avatar_id}")
