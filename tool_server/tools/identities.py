"""Identity tools: save the coach's "I am" identity and its visualization; list them."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.errors import InvalidInput
from tool_server.tools.boundary import coach_errors
from tool_server.userdata.models import Identity


class IdentityView(BaseModel):
    identity_id: str
    name: str
    i_am_statement: str | None
    visualization: str
    current_image_id: str | None
    accepted_image_id: str | None
    image_count: int
    created_at: str
    updated_at: str


class SaveIdentityResult(IdentityView):
    created: bool
    message: str


class IdentityList(BaseModel):
    identities: list[IdentityView]
    next_cursor: str | None = None  # more identities: pass it back as `cursor`


def identity_view(identity: Identity) -> IdentityView:
    return IdentityView(
        identity_id=identity.identity_id,
        name=identity.name,
        i_am_statement=identity.i_am_statement,
        visualization=identity.visualization,
        current_image_id=identity.current_image_id,
        accepted_image_id=identity.accepted_image_id,
        image_count=len(identity.image_ids),
        created_at=identity.created_at.isoformat(),
        updated_at=identity.updated_at.isoformat(),
    )


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.tool(
        title="Save an identity",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True),
    )
    @coach_errors
    async def save_identity(
        name: Annotated[str, Field(max_length=200, description="Short name, e.g. 'The Visionary Founder'.")],
        visualization: Annotated[
            str,
            Field(
                max_length=4000,
                description="What the user looks like living this identity: scene, clothing, action, mood.",
            ),
        ],
        i_am_statement: Annotated[
            str | None, Field(max_length=1000, description="The user's 'I am ...' statement.")
        ] = None,
        identity_id: Annotated[
            str | None,
            Field(description="Give an existing identity_id to update it; leave out to create one."),
        ] = None,
    ) -> SaveIdentityResult:
        """Create or update an identity the user chose, with its visualization text.

        Use once the user has an "I am" statement and you have described them living it. Image
        tools (generate_identity_image) draw from the visualization. Returns the identity_id to
        use with them; updating keeps the identity's images.
        """
        identity, created = await app.identities.save(
            acting_user(app),
            name=name,
            visualization=visualization,
            i_am_statement=i_am_statement,
            identity_id=identity_id,
        )
        verb = "Created" if created else "Updated"
        view = identity_view(identity)
        return SaveIdentityResult(
            **view.model_dump(),
            created=created,
            message=f"{verb} identity {identity.identity_id}. Next: generate_identity_image with this id.",
        )

    @server.tool(title="List identities", annotations=ToolAnnotations(read_only_hint=True))
    @coach_errors
    async def list_identities(
        cursor: Annotated[str | None, Field(description="next_cursor of the previous page.")] = None,
    ) -> IdentityList:
        """List the user's saved identities with their current and accepted image ids.

        Use to find an identity_id for generate_identity_image or accept_identity_visualization,
        or to see which identities still have no accepted image.
        """
        start = page_start(cursor)
        identities = await app.identities.list(acting_user(app))
        end = start + app.settings.list_page_size
        return IdentityList(
            identities=[identity_view(i) for i in identities[start:end]],
            next_cursor=str(end) if end < len(identities) else None,
        )


def page_start(cursor: str | None) -> int:
    """The offset a `next_cursor` stands for (a plain offset: listings are short and sorted)."""
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 6:
        raise InvalidInput("cursor must be a next_cursor from list_identities; leave it out for page one.")
    return int(cursor)
