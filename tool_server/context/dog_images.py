"""The dog avatar resource: a cached avatar's PNG, shared by every user (what ResourceLinks point at)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from storage import KeyNotFound
from tool_server.app import AppContext
from tool_server.dogs.cache import image_key_for


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.resource(
        "coach://dogs/{prompt_version}/{name}",
        name="dog_avatar",
        title="A dog avatar",
        description="A cached dog avatar's PNG (the link dog_avatar returns); one too large for a message "
        "comes as WebP, with _meta.full_url.",
        mime_type="image/png",
    )
    async def dog_avatar_image(prompt_version: str, name: str) -> bytes:
        missing = ResourceNotFoundError(
            f"No dog avatar coach://dogs/{prompt_version}/{name}: call dog_avatar for the link."
        )
        key = image_key_for(prompt_version, name)
        if key is None:
            raise missing
        try:
            return await app.blobs.get(key)
        except KeyNotFound as exc:
            raise missing from exc
