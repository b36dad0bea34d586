"""`coach://me/...` resources: the acting user's primary photo URL and body profile."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.tools.profile import BodyProfileView, profile_view


class PhotoUrlContext(BaseModel):
    user_photo_url: str | None = Field(description="URL of the primary reference photo, or null if none.")
    photo_id: str | None
    photo_count: int
    max_photos: int
    hint: str


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.resource(
        "coach://me/photo_url",
        name="user_photo_url",
        title="The user's primary photo",
        description="URL of the user's primary reference photo (null if none) and how many photos they have.",
        mime_type="application/json",
    )
    async def user_photo_url() -> PhotoUrlContext:
        index = await app.photos.index(acting_user(app))
        primary = index.photos[0] if index.photos else None
        return PhotoUrlContext(
            user_photo_url=await app.url_for(primary.key) if primary else None,
            photo_id=primary.photo_id if primary else None,
            photo_count=len(index.photos),
            max_photos=app.photos.max_photos,
            hint=(
                "Ready for generate_identity_image."
                if primary
                else "No photo yet: guide the user to upload one with add_reference_photo."
            ),
        )

    @server.resource(
        "coach://me/body_profile",
        name="body_profile",
        title="The user's body profile",
        description="Gender, height, build, skin tone; whether the profile is complete, what is missing.",
        mime_type="application/json",
    )
    async def body_profile() -> BodyProfileView:
        return profile_view(await app.profiles.get(acting_user(app)))
