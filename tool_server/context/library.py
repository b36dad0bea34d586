"""Template resources: one identity, one image's bytes."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.errors import NotFound
from tool_server.generation.images import as_png
from tool_server.ids import check_id
from tool_server.tools.identities import IdentityView, identity_view
from tool_server.userdata import keys
from tool_server.userdata.models import ImageRecord


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.resource(
        "coach://identities/{identity_id}",
        name="identity",
        title="An identity",
        description="One saved identity: texts, current and accepted image ids.",
        mime_type="application/json",
    )
    async def identity(identity_id: str) -> IdentityView:
        try:
            return identity_view(await app.identities.get(acting_user(app), identity_id))
        except NotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc

    @server.resource(
        "coach://images/{image_id}",
        name="image",
        title="A generated image",
        description="The full-size bytes of an image made for the user (PNG).",
        mime_type="image/png",
    )
    async def image(image_id: str) -> bytes:
        user = acting_user(app)
        try:
            check_id(image_id, "image", prefix="img_")  # its message never quotes a long id in full
        except NotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        record = await app.docs.read(keys.image_record(user, image_id), ImageRecord)
        if record is None:
            raise ResourceNotFoundError(f"No image {image_id!r} for this user.")
        data = await app.blobs.get(record.key)
        # The template declares one MIME type; images stored in another format are converted.
        return data if record.mime_type == "image/png" else await anyio.to_thread.run_sync(as_png, data)
