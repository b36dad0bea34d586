"""The ASGI application the HTTP transport serves: the SDK's Starlette app inside a body-size cap,
with auth on a per-address limit on requests without a valid bearer token, and a redacted access
log (`access_log.py`)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tool_server.http.access_log import AccessLog
from tool_server.quotas.rate import RateLimited, UserRateLimiter
from tool_server.settings import Settings


def http_app(server: MCPServer[Any], settings: Settings) -> ASGIApp:
    """`/mcp`, the auth metadata and the custom routes, with request bodies capped.

    With shared state (COACH_IMAGE_REDIS_URL) the instances sit behind a balancer, so no request
    may need an earlier one's process: handshake-era sessions are served stateless too.
    """
    app = server.streamable_http_app(
        max_request_body_size=settings.max_request_bytes,
        host=settings.host,
        stateless_http=settings.redis_url is not None,
    )
    limited: ASGIApp = BodyLimit(app, settings.max_request_bytes)
    if settings.auth_enabled and settings.anonymous_rate_limit:
        limited = AnonymousLimit(
            limited, UserRateLimiter(settings.anonymous_rate_limit, who="this client address")
        )
    return AccessLog(limited)


class AnonymousLimit:
    """429 for a client address past its limit of requests without a valid bearer token.

    A request with no bearer counts before it runs (signed links, gallery pages, metadata, anonymous
    MCP); one whose bearer is refused (401) counts after. Authenticated traffic has per-user limits.
    """

    def __init__(self, app: ASGIApp, limiter: UserRateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = str((scope.get("client") or ("unknown",))[0])
        bearer = dict(scope.get("headers") or []).get(b"authorization", b"").lower().startswith(b"bearer ")
        try:
            (self.limiter.check if bearer else self.limiter.hit)(address)
        except RateLimited as exc:
            await _json_reply(send, 429, str(exc), [(b"retry-after", str(exc.retry_after_s).encode())])
            return
        status = 0

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, watched_send if bearer else send)
        if status == 401:
            with contextlib.suppress(RateLimited):  # counted: the address's next request is refused
                self.limiter.hit(address)


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
        await _json_reply(
            send,
            413,
            f"The request body is larger than {self.max_bytes / 2**20:.1f} MB, the most this server accepts "
            "(COACH_IMAGE_MAX_REQUEST_BYTES). Send a smaller photo.",
        )


async def _json_reply(
    send: Send, status: int, error: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps({"error": error}).encode()
    start_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*start_headers, *headers]})
    await send({"type": "http.response.body", "body": body})
