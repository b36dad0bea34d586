"""`GET /healthz`: 200 while this instance serves, for a load balancer's health check.

No auth and no user data; it touches no backend, so a slow bucket does not take every
instance out of the balancer at once (a failing request still gets a clear error of its own).
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from tool_server.app import AppContext


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.custom_route("/healthz", methods=["GET"], include_in_schema=False)
    async def healthz(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok\n")
