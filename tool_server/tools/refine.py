"""refine_identity_image: change an identity image by an instruction, keeping the face (multi-turn edits)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.prompts.identity import PROMPT_VERSION
from tool_server.settings import ProviderChoice
from tool_server.tools.boundary import MAKES_IMAGES, coach_errors
from tool_server.tools.identity_images import IdentityImageResult, run_view
from tool_server.tools.long_runs import progress_reporter, run_with_deadline
from tool_server.tools.results import image_blocks, tool_result


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.tool(title="Refine an identity image", annotations=MAKES_IMAGES)
    @coach_errors
    async def refine_identity_image(
        ctx: Context[Any, Any],
        image_id: Annotated[str, Field(description="The identity image to change.")],
        instruction: Annotated[str, Field(description="What to change, e.g. 'smile more', 'at sunset'.")],
        candidates: Annotated[int | None, Field(ge=1, le=4)] = None,
        provider: Annotated[ProviderChoice | None, Field(description="Default: the image's own.")] = None,
        model: str | None = None,
    ) -> Annotated[CallToolResult, IdentityImageResult]:
        """Change an identity image as the user asks, keeping their face; cheaper than regenerating.

        Scored like any image (needs_review true: never show it as theirs); a passing one becomes
        current. Pending: get_run.
        """
        from tool_server.generation.engine import GenerateOptions, run_generation
        from tool_server.generation.refine import plan_refine

        user = acting_user(app)
        options = GenerateOptions(
            candidates=candidates or app.settings.default_candidates,
            provider=None if provider in (None, "auto") else provider,
            model=model,
        )
        plan = await plan_refine(app, user, image_id, instruction, options)
        recorder = await app.runs.start(user, "identity_image", plan.inputs, PROMPT_VERSION)
        report = progress_reporter(ctx, 2 + app.settings.max_attempts * (1 + 2 * options.candidates))
        await report("preparing the image and references")
        record = await run_with_deadline(
            app, recorder, lambda: run_generation(app, user, plan, recorder, report)
        )
        view = await run_view(app, user, record)
        blocks = await image_blocks(app, user, view.image_id, "Refined image") if view.image_id else []
        return tool_result(view, view.message, blocks)
