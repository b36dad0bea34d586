"""Assembles the MCP server: the app context, the tools, the resources and the prompts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
from mcp.server.mcpserver import MCPServer

from tool_server import __version__
from tool_server.app import AppContext, Transport, build_app
from tool_server.apps import build_apps
from tool_server.auth.guard import RequestGuard
from tool_server.context import dog_images, library, runs, user
from tool_server.context.fit import ResourceFit
from tool_server.prompts import mcp_prompts
from tool_server.protocol import CoachServer, warm
from tool_server.settings import Settings
from tool_server.tools import (
    avatars,
    batch,
    delete_data,
    dog,
    face_swap,
    identities,
    identity_images,
    photos,
    profile,
    refine,
)
from tool_server.tools import runs as run_tools

INSTRUCTIONS = """\
Image tools for a life coach. The user sees a picture of themselves living the identity they chose;
it only works if the face is unmistakably theirs, so every image carries a measured likeness score.
Typical flow: read coach://me/photo_url; without a photo, guide the user to add_reference_photo;
set_body_profile; save_identity with the visualization; generate_identity_image (or
generate_all_identity_images for every identity); refine_identity_image to change a picture the user
almost likes; when the user likes it, accept_identity_visualization. Optional: generate_avatar then
approve_avatar once (for the avatar strategy); face_swap to put the user's face into an image;
dog_avatar for a coach agent's avatar. Slow runs answer status pending: call get_run with the
run_id a little later. needs_review true means the face did not match: never present that image as the user.
Images come back as a small preview plus a link; say in words what the picture shows."""


def create_server(
    settings: Settings,
    transport: Transport = "stdio",
    app: AppContext | None = None,
    *,
    serving: bool = False,
) -> MCPServer[Any]:
    """Build the server for `settings`; `app` may be given to share backends (tests, HTTP).

    `serving`: a host will connect (not an in-process CLI client), so the face workers are started
    ahead once it has (`protocol/warm.py`).
    """
    app = app or build_app(settings, transport)

    @asynccontextmanager
    async def lifespan(_server: object) -> AsyncIterator[AppContext]:
        # Generations that outlive their tool call (status pending) keep running in this group.
        async with anyio.create_task_group() as group:
            app.jobs.attach(group)
            group.start_soon(app.runs.keep_leases)
            try:
                yield app
            finally:
                app.jobs.attach(None)
                group.cancel_scope.cancel()

    guard = RequestGuard(app)
    apps = build_apps()  # MCP Apps pages: only clients advertising the extension see them
    # Bearer-token auth exists only on HTTP; stdio acts for COACH_IMAGE_USER.
    auth = None
    if transport == "http":
        from tool_server.auth.setup import auth_for  # PyJWT and cryptography: HTTP only

        auth = auth_for(settings)
    server: MCPServer[Any] = CoachServer(
        "coach-image-tools",
        title="Coach image tools",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level=settings.log_level,
        lifespan=lifespan,
        middleware=[apps.gate, guard, ResourceFit(partial(library.original_url, app))],
        extensions=[apps.extension],
        auth=auth[0] if auth else None,
        token_verifier=auth[1] if auth else None,
    )
    guard.server = server
    tools = [photos, profile, identities, identity_images, refine, batch, avatars, face_swap, run_tools]
    tools += [dog, delete_data]
    for module in (*tools, user, library, runs, dog_images, mcp_prompts):
        module.register(server, app)
    apps.register_tools(server, app)
    if serving:
        warm.register(server, app)
    if transport == "http":
        from tool_server.http import dog as dog_routes
        from tool_server.http import files, health, metrics_route, upload
        from tool_server.http import gallery as gallery_routes

        for route_module in (files, upload, metrics_route, dog_routes, gallery_routes, health):
            route_module.register(server, app)
    return server
