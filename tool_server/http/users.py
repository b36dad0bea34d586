"""Who a plain HTTP request (not an MCP call) acts for."""

from __future__ import annotations

from starlette.requests import Request

from tool_server.app import AppContext


def request_user(app: AppContext, request: Request) -> str:
    """The acting user of an HTTP route.

    Until bearer-token auth exists the HTTP transport binds to loopback only and every request
    acts for COACH_IMAGE_USER, like stdio.
    """
    del request
    return app.settings.user
