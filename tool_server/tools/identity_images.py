"""generate_identity_image, get_run and accept_identity_visualization."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.errors import InvalidInput, NotFound, PreconditionMissing
from tool_server.faces.records import verdict_of, with_verdict
from tool_server.prompts.identity import PROMPT_VERSION
from tool_server.runs import RunRecord
from tool_server.settings import ProviderChoice
from tool_server.tools.boundary import MAKES_IMAGES, coach_errors
from tool_server.tools.long_runs import progress_reporter, run_with_deadline
from tool_server.tools.results import image_blocks, tool_result
from tool_server.tools.run_views import IntermediateView, ViewStatus, intermediates_of, unfinished
from tool_server.userdata import keys
from tool_server.userdata.models import Identity, ImageRecord, now

logger = logging.getLogger(__name__)


class CandidateView(BaseModel):
    image_id: str
    url: str
    likeness: dict[str, Any]
    strategy: str | None = None


class IdentityImageResult(BaseModel):
    status: ViewStatus
    run_id: str
    identity_id: str | None = None
    image_id: str | None = None
    image_url: str | None = None
    likeness: dict[str, Any] | None = None
    needs_review: bool | None = Field(
        None, description="True: the face did not pass; never present it as fine."
    )
    candidates: list[CandidateView] = Field(default_factory=list)
    strategy: str | None = None
    provider: str | None = None
    model: str | None = None
    cost_usd: float | None = None
    intermediates: list[IntermediateView] = Field(default_factory=list)
    duration_s: float | None = None
    parent_image_id: str | None = Field(None, description="refine_identity_image: the image it changed.")
    message: str
    error: str | None = None


class AcceptResult(BaseModel):
    identity_id: str
    accepted_image_id: str
    image_url: str
    message: str


async def run_view(app: AppContext, user: str, record: RunRecord) -> IdentityImageResult:
    """The result of a run, rebuilt from its record (fresh URLs each time)."""
    intermediates = await intermediates_of(app, record)
    if record.status != "done" or record.result is None:
        return IdentityImageResult(
            **unfinished(record), identity_id=record.inputs.get("identity_id"), intermediates=intermediates
        )
    result = record.result
    candidates = []
    for item in result["candidates"]:
        image = await app.docs.read(keys.image_record(user, item["image_id"]), ImageRecord)
        url = await app.url_for(image.key) if image else ""
        candidates.append(
            CandidateView(
                image_id=item["image_id"],
                url=url,
                likeness=with_verdict(item["likeness"]) or {},
                strategy=item.get("strategy"),
            )
        )
    best = next((c for c in candidates if c.image_id == result["image_id"]), None)
    return IdentityImageResult(
        status="done",
        run_id=record.run_id,
        identity_id=result["identity_id"],
        image_id=result["image_id"],
        image_url=best.url if best else None,
        likeness=with_verdict(result["likeness"]),
        needs_review=result["needs_review"],
        candidates=candidates,
        strategy=result["strategy"],
        provider=result["provider"],
        model=result["model"],
        cost_usd=result["cost_usd"],
        intermediates=intermediates,
        duration_s=result["duration_s"],
        parent_image_id=result.get("parent_image_id"),
        message=_summary(result),
    )


def _summary(result: dict[str, Any]) -> str:
    if result.get("parent_image_id"):
        return f"Refined {result['parent_image_id']} ({result.get('instruction')!r}). " + _outcome(result)
    return _outcome(result)


def _outcome(result: dict[str, Any]) -> str:
    likeness = result["likeness"]
    count = len(result["candidates"])
    if result["provider"] == "offline":
        # A development composite of the user's own photo: never to be described as an AI scene.
        return (
            f"Made {count} offline placeholder composite(s) ({result['image_id']} is the best): the user's "
            "reference photo on a drawn background by the development provider, NOT an AI image of the "
            "scene: do not describe one. It is a placeholder: the server has no working image provider."
        )
    if not result["needs_review"]:
        return (
            f"Made {count} image(s); the best ({result['image_id']}) is the user's face: face "
            f"distance {verdict_of(likeness)}. A preview is attached and the full image is linked. Describe "
            "the scene to the user, and accept it with accept_identity_visualization if they like it."
        )
    found = verdict_of(likeness) if likeness["face_found"] else "no face was found"
    return (
        f"None of the {count} image(s) passed the likeness check ({found}). Do NOT present it as the user. "
        "Offer to regenerate (perhaps another strategy), or ask for clearer reference photos."
    )


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.tool(
        title="Generate an identity image",
        annotations=MAKES_IMAGES,
    )
    @coach_errors
    async def generate_identity_image(
        ctx: Context[Any, Any],
        identity_id: Annotated[str, Field(description="From save_identity.")],
        prompt: Annotated[str | None, Field(description="A scene added to the visualization.")] = None,
        strategy: Annotated[
            Literal["auto", "direct", "avatar", "generic_swap"],
            Field(
                description="auto: what the user's data allows; direct: from photos; avatar: from the "
                "approved avatar; generic_swap: body profile, then face swap."
            ),
        ] = "auto",
        candidates: Annotated[
            int | None, Field(ge=1, le=4, description="Made in parallel; the best likeness wins.")
        ] = None,
        provider: ProviderChoice | None = None,
        model: str | None = None,
        size: Annotated[str, Field(description="WxH; 1024x1536 is portrait.")] = "1024x1024",
        quality: Literal["low", "medium", "high", "auto"] = "high",
    ) -> Annotated[CallToolResult, IdentityImageResult]:
        """Make a picture of the user living an identity, scored for likeness.

        Needs a reference photo and save_identity. Returns image_id, likeness, needs_review (true:
        not their face; never show it as theirs) and a preview; pending: get_run later.
        """
        # The engine loads on first use, not at start-up (cold start: `python -m benchmarks`).
        from tool_server.generation.engine import GenerateOptions, plan_generation, run_generation

        user = acting_user(app)
        options = GenerateOptions(
            prompt=prompt,
            strategy=None if strategy == "auto" else strategy,
            candidates=candidates or app.settings.default_candidates,
            provider=None if provider in (None, "auto") else provider,
            model=model,
            size=size,
            quality=quality,
        )
        plan = await plan_generation(app, user, identity_id, options)
        recorder = await app.runs.start(user, "identity_image", plan.inputs, PROMPT_VERSION)
        report = progress_reporter(ctx, 2 + app.settings.max_attempts * (1 + 2 * options.candidates))
        await report("preparing references")
        record = await run_with_deadline(
            app, recorder, lambda: run_generation(app, user, plan, recorder, report)
        )
        view = await run_view(app, user, record)
        blocks = await image_blocks(app, user, view.image_id, "Identity image") if view.image_id else []
        return tool_result(view, view.message, blocks)

    @server.tool(
        title="Accept an identity visualization",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
    )
    @coach_errors
    async def accept_identity_visualization(
        identity_id: Annotated[str, Field(description="The image's identity.")],
        image_id: Annotated[str | None, Field(description="Default: the identity's current image.")] = None,
    ) -> AcceptResult:
        """Mark the image the user likes as the identity's accepted one; later runs never replace it."""
        user = acting_user(app)

        def accept(current: Identity | None) -> Identity:
            if current is None:
                raise NotFound(f"No identity with id {identity_id!r}. Call list_identities.")
            chosen = image_id or current.current_image_id
            if chosen is None:
                raise PreconditionMissing(
                    "This identity has no image that passed the likeness check yet: call "
                    "generate_identity_image first, or pass the image_id the user chose."
                )
            if chosen not in current.image_ids:
                raise InvalidInput(
                    f"Image {chosen!r} is not one of this identity's images; use an image_id that "
                    "generate_identity_image returned for it."
                )
            return current.model_copy(update={"accepted_image_id": chosen, "updated_at": now()})

        await app.identities.get(user, identity_id)
        identity = await app.docs.update(keys.identity(user, identity_id), Identity, accept)
        assert identity.accepted_image_id is not None
        record = await app.docs.read(keys.image_record(user, identity.accepted_image_id), ImageRecord)
        url = await app.url_for(record.key) if record else ""
        return AcceptResult(
            identity_id=identity_id,
            accepted_image_id=identity.accepted_image_id,
            image_url=url,
            message=f"Accepted {identity.accepted_image_id} as the visualization of {identity.name}.",
        )
