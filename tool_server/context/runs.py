"""Resource `coach://runs/{run_id}`: a run record with fresh URLs for each intermediate image."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.errors import NotFound


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.resource(
        "coach://runs/{run_id}",
        name="run",
        title="A run record",
        description="Everything one image run did: inputs, provider calls (model, latency, usage, cost, "
        "error), each intermediate image in order with its URL and likeness, the result.",
        mime_type="application/json",
    )
    async def run(run_id: str) -> dict[str, Any]:
        user = acting_user(app)
        try:
            record = await app.runs.get(user, run_id)
        except NotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        document = record.model_dump(mode="json", exclude={"owner_pid", "owner_host"})
        for step in document["steps"]:
            step["url"] = await app.url_for(step["key"])
        if app.url_signer is not None:  # HTTP: a page a browser can open without the bearer token
            path = f"/gallery/runs/{run_id}"
            document["gallery_url"] = app.url_signer.page_url(path, user, app.settings.url_expiry_s)
        return document
