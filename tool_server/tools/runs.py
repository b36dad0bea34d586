"""get_run: the state, and when done the result, of a generation that answered `pending`."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.tools.avatars import AvatarResult, avatar_blocks, avatar_run_view
from tool_server.tools.batch import BatchResult, batch_view
from tool_server.tools.boundary import coach_errors
from tool_server.tools.face_swap import FaceSwapResult, swap_run_view
from tool_server.tools.identity_images import IdentityImageResult, run_view
from tool_server.tools.results import image_blocks, tool_result
from tool_server.tools.run_views import ViewStatus, unfinished_message, view_status


class RunResult(BaseModel):
    status: ViewStatus
    run_id: str
    kind: str = Field(description="Which tool started it: identity_image, avatar, face_swap or dog_avatar.")
    message: str
    identity_image: IdentityImageResult | None = Field(
        None, description="generate_identity_image's result (kind identity_image)."
    )
    avatar: AvatarResult | None = Field(None, description="generate_avatar's result (kind avatar).")
    face_swap: FaceSwapResult | None = Field(None, description="face_swap's result (kind face_swap).")
    batch: BatchResult | None = Field(None, description="generate_all_identity_images' result.")


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.tool(title="Get a run", annotations=ToolAnnotations(read_only_hint=True))
    @coach_errors
    async def get_run(
        run_id: Annotated[str, Field(description="From a pending result.")],
    ) -> Annotated[CallToolResult, RunResult]:
        """Check on a run that answered status pending.

        Done: the tool's result under its kind. Pending: call again in about 20 s.
        """
        user = acting_user(app)
        record = await app.runs.get(user, run_id)
        result = RunResult(status="pending", run_id=run_id, kind=record.kind, message="")
        blocks: list[Any] = []
        if record.kind == "avatar":
            avatar = await avatar_run_view(app, user, record)
            result.avatar, result.status, result.message = avatar, avatar.status, avatar.message
            blocks = await avatar_blocks(app, user, avatar)
        elif record.kind == "dog_avatar":
            result.status = view_status(record)
            result.message = (
                f"A dog avatar generation ({record.inputs.get('job')}); call dog_avatar again for its image."
                if record.status == "done"
                else unfinished_message(record)
            )
        elif record.kind == "batch":
            result.batch = batch_view(record)
            result.status, result.message = result.batch.status, result.batch.message
        elif record.kind == "face_swap":
            swap = await swap_run_view(app, user, record)
            result.face_swap, result.status, result.message = swap, swap.status, swap.message
            blocks = await image_blocks(app, user, swap.image_id, "Face swap") if swap.image_id else []
        else:
            view = await run_view(app, user, record)
            result.identity_image, result.status, result.message = view, view.status, view.message
            blocks = await image_blocks(app, user, view.image_id, "Identity image") if view.image_id else []
        return tool_result(result, result.message, blocks)
