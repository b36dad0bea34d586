"""Template resources: one identity, one image's bytes."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.dogs.cache import image_key_for
from tool_server.errors import NotFound
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
        description="An image made for the user, in its stored format (mimeType per read). One too "
        "large for a message comes re-encoded; _meta.full_url links the original.",
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
        # As stored: the MIME type is set per read (and the size capped) by tool_server.context.fit.
        return await app.blobs.get(record.key)


async def original_url(app: AppContext, uri: str) -> str | None:
    """The signed URL of the stored original behind an image resource URI, or None."""
    key: str | None = None
    if uri.startswith("coach://images/"):
        image_id = uri.removeprefix("coach://images/")
        record = await app.docs.read(keys.image_record(acting_user(app), image_id), ImageRecord)
        key = record.key if record else None
    elif uri.startswith("coach://dogs/"):
        version, _, name = uri.removeprefix("coach://dogs/").partition("/")
        key = image_key_for(version, name)
    return await app.url_for(key) if key else None
