"""delete_my_data: erase everything stored for the acting user (biometric data included)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.errors import InvalidInput, PreconditionMissing
from tool_server.runs import RunRecord
from tool_server.tools.boundary import coach_errors
from tool_server.userdata import keys

logger = logging.getLogger(__name__)


class DeleteResult(BaseModel):
    deleted_objects: int = Field(description="Stored objects removed (photos, documents, images, runs...).")
    message: str


async def delete_user_data(app: AppContext, user: str) -> int:
    """Remove every object under the user's prefix; returns how many. Refuses while a run is going."""
    prefix = keys.user_root(user) + "/"
    stored = await app.blobs.list(prefix)
    for key in stored:
        if key.endswith("/run.json"):
            record = await app.docs.read(key, RunRecord)
            if record is not None and app.runs.is_live(record):
                raise PreconditionMissing(
                    f"A generation ({record.run_id}) is still running for this user: wait until get_run "
                    "says it is done, then call delete_my_data again. Nothing was deleted."
                )
    # Documents that point at files go last, so an interruption leaves indexes naming missing files
    # (reported as not found) rather than files no index names.
    ordered = sorted(stored, key=lambda k: k.endswith(".json"))
    for key in ordered:
        await app.blobs.delete(key)
    app.rate_limiter.forget(user)  # the budget ledger is accounting, kept (README, privacy notes)
    return len(stored)


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.tool(
        title="Delete all of the user's data",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True),
    )
    @coach_errors
    async def delete_my_data(
        confirm: Annotated[
            bool,
            Field(description="true: the user asked to erase everything."),
        ] = False,
    ) -> DeleteResult:
        """Erase everything stored for the user (photos, face data, profile, identities, images).

        Only when the user asks and confirms; cannot be undone.
        """
        if confirm is not True:
            raise InvalidInput(
                "Nothing was deleted. Confirm with the user that they want ALL their photos, images and "
                "identities erased for good, then call delete_my_data with confirm=true."
            )
        user = acting_user(app)
        count = await delete_user_data(app, user)
        logger.info("deleted all data of a user", extra={"deleted_objects": count})
        return DeleteResult(
            deleted_objects=count,
            message=f"Deleted all of the user's data ({count} stored objects). Nothing of theirs is kept.",
        )
