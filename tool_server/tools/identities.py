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
    message: str


def identity_list_message(identities: list[IdentityView], more: bool = False) -> str:
    """The list in a sentence: each identity's id, name and image state."""
    if not identities:
        return "No identities yet: save one with save_identity."
    described = []
    for view in identities:
        state = (
            f"accepted {view.accepted_image_id}"
            if view.accepted_image_id
            else f"current {view.current_image_id}, not accepted"
            if view.current_image_id
            else "no image yet"
        )
        described.append(f"{view.identity_id} {view.name!r} ({state})")
    count = f"{len(identities)} identit{'y' if len(identities) == 1 else 'ies'}"
    more_text = " More: call again with cursor=next_cursor." if more else ""
    return f"{count}: " + "; ".join(described) + "." + more_text


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
        name: Annotated[str, Field(max_length=200, description="e.g. 'The Visionary Founder'.")],
        visualization: Annotated[
            str,
            Field(
                max_length=4000,
                description="The user living it: scene, clothing, action, mood.",
            ),
        ],
        i_am_statement: Annotated[
            str | None, Field(max_length=1000, description="The 'I am ...' statement.")
        ] = None,
        identity_id: Annotated[
            str | None,
            Field(description="Set to update that identity."),
        ] = None,
    ) -> SaveIdentityResult:
        """Create or update an identity: the user's "I am" statement and them living it.

        Returns identity_id for generate_identity_image; updating keeps its images.
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
        """List the user's identities: identity_id, name, current and accepted image ids."""
        start = page_start(cursor)
        identities = await app.identities.list(acting_user(app))
        end = start + app.settings.list_page_size
        views = [identity_view(i) for i in identities[start:end]]
        more = end < len(identities)
        return IdentityList(
            identities=views,
            next_cursor=str(end) if more else None,
            message=identity_list_message(views, more),
        )


def page_start(cursor: str | None) -> int:
    """The offset a `next_cursor` stands for (a plain offset: listings are short and sorted)."""
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 6:
        raise InvalidInput("cursor must be a next_cursor from list_identities; leave it out for page one.")
    return int(cursor)
