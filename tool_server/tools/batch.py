"""generate_all_identity_images: an image for every identity that has none accepted, in one call."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult
from pydantic import BaseModel, Field

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.runs import RunRecord
from tool_server.tools.boundary import MAKES_IMAGES, coach_errors
from tool_server.tools.long_runs import progress_reporter, run_with_deadline
from tool_server.tools.results import tool_result
from tool_server.tools.run_views import ViewStatus, unfinished


class BatchItem(BaseModel):
    identity_id: str
    name: str
    status: str = Field(description="done, failed or skipped (already accepted).")
    run_id: str | None = None
    image_id: str | None = None
    likeness: str | None = Field(None, description="Face distance against the threshold.")
    needs_review: bool | None = None
    error: str | None = None


class BatchResult(BaseModel):
    status: ViewStatus
    run_id: str
    identities: list[BatchItem] = Field(default_factory=list)
    estimated_cost_usd: float | None = None
    cost_usd: float | None = None
    message: str
    error: str | None = None


def batch_view(record: RunRecord) -> BatchResult:
    """The batch's result, rebuilt from its run record."""
    if record.status != "done" or record.result is None:
        return BatchResult(**unfinished(record))
    result = record.result
    items = [BatchItem.model_validate(item) for item in result["identities"]]
    made = [i for i in items if i.status == "done"]
    review = [i.name for i in made if i.needs_review]
    failed = [i.name for i in items if i.status == "failed"]
    message = f"Made images for {len(made)} of {len(items)} identities."
    if review:
        message += f" Did not pass likeness (do NOT present as the user): {', '.join(review)}."
    if failed:
        message += f" Failed: {', '.join(failed)} (see error; retry with generate_identity_image)."
    if made:
        message += " Show each to the user; accept the ones they like with accept_identity_visualization."
    return BatchResult(
        status="done",
        run_id=record.run_id,
        identities=items,
        estimated_cost_usd=result["estimated_cost_usd"],
        cost_usd=round(sum(float(i.get("cost_usd") or 0.0) for i in result["identities"]), 6),
        message=message,
    )


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.tool(title="Generate images for all identities", annotations=MAKES_IMAGES)
    @coach_errors
    async def generate_all_identity_images(
        ctx: Context[Any, Any],
        strategy: Annotated[
            Literal["auto", "direct", "avatar", "generic_swap"],
            Field(description="As generate_identity_image."),
        ] = "auto",
        candidates: Annotated[int | None, Field(ge=1, le=4, description="Images per identity.")] = None,
        include_accepted: Annotated[bool, Field(description="Also identities already accepted.")] = False,
    ) -> Annotated[CallToolResult, BatchResult]:
        """Make an image for every identity not yet accepted, each scored for likeness.

        Refused unpaid over today's budget. Returns per identity: status, image_id, likeness,
        needs_review. Pending: get_run.
        """
        from tool_server.generation.batch import plan_batch, run_batch
        from tool_server.generation.engine import GenerateOptions

        user = acting_user(app)
        options = GenerateOptions(
            strategy=None if strategy == "auto" else strategy,
            candidates=candidates or app.settings.default_candidates,
        )
        batch = await plan_batch(app, user, options, include_accepted)
        inputs = {
            "strategy": strategy,
            "candidates": options.candidates,
            "include_accepted": include_accepted,
            "identity_ids": [p.identity.identity_id for p in batch.plans],
            "estimated_cost_usd": batch.estimate_usd,
        }
        recorder = await app.runs.start(user, "batch", inputs)
        report = progress_reporter(ctx, len(batch.plans) + 1)
        await report(f"generating for {len(batch.plans)} identities (about ${batch.estimate_usd:.2f})")
        record = await run_with_deadline(app, recorder, lambda: run_batch(app, user, batch, report))
        view = batch_view(record)
        return tool_result(view, view.message)
