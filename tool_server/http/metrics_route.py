"""`GET /metrics`: the Prometheus exposition (tool calls and errors, provider latency and cost,
likeness pass rate, dog cache hits). Behind the same bearer auth as everything else when auth is on
(a scraper sends a token like any client); no metric carries a user id.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import Response

from tool_server.app import AppContext
from tool_server.http.users import request_user
from tool_server.metrics import exposition


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.custom_route("/metrics", methods=["GET"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        request_user(app, request)
        body, content_type = exposition()
        return Response(body, media_type=content_type)
