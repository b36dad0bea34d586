"""One JSON log line per HTTP request, naming the route template, never the URL that was asked for.

uvicorn's own access log writes the full URL: signed links (`sig=`, `exp=`, `u=<user>`) that still
work for whoever reads the log, and `/files/users/<user>/...` paths. This line has the method,
the matched route (`/files/{key:path}`, `/gallery/runs/{run_id}`), the status and the duration;
the server's JSON formatter adds the acting user's hash, as on every line. The serve command
turns uvicorn's access log off.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("tool_server.access")
UNMATCHED = "(no route)"  # the path of a request no route matched may hold anything


class AccessLog:
    """ASGI middleware: logs `METHOD route status` after each HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = route_template(scope)
            logger.info(
                "%s %s %d",
                scope["method"],
                route,
                status,
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


def route_template(scope: Scope) -> str:
    """The path template of the route Starlette matched (it records it in the scope)."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) and path else UNMATCHED
