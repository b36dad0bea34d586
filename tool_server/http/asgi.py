"""The ASGI application the HTTP transport serves: the SDK's Starlette app inside a body-size cap
and a redacted access log (`access_log.py`)."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tool_server.http.access_log import AccessLog
from tool_server.settings import Settings


def http_app(server: MCPServer[Any], settings: Settings) -> ASGIApp:
    """`/mcp`, the auth metadata and the custom routes, with request bodies capped."""
    app = server.streamable_http_app(max_request_body_size=settings.max_request_bytes, host=settings.host)
    return AccessLog(BodyLimit(app, settings.max_request_bytes))


class BodyLimit:
    """Answers 413 to a request whose body is over `max_bytes` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to a cut-off body is replaced by the 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": f"The request body is larger than {self.max_bytes / 2**20:.1f} MB, the most this "
                "server accepts (COACH_IMAGE_MAX_REQUEST_BYTES). Send a smaller photo."
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
