"""uvicorn for the HTTP transport, with limits so slow or many clients cannot hold the server.

uvicorn closes idle keep-alive connections but has no deadline for a request's headers: a client
that sends one header byte every few seconds (slowloris) holds its socket for ever. `HeaderDeadline`
closes a connection whose request headers are not complete `http_header_timeout_s` after it opened
or after its last response. Connections beyond `http_max_connections` get 503; shutdown waits
`http_shutdown_grace_s` for open requests.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

    from tool_server.settings import Settings

MAX_HEADER_BYTES = 16 * 1024


class HeaderDeadline(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request headers come too slowly."""

    header_timeout_s = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.header_timeout_s, self._expire)

    def _expire(self) -> None:
        # IDLE: no complete request head since the connection opened or the last response ended.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def uvicorn_config(app: ASGIApp, settings: Settings, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration the server runs with (`options`: e.g. log settings in tests)."""
    import uvicorn

    protocol = type("Protocol", (HeaderDeadline,), {"header_timeout_s": settings.http_header_timeout_s})
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=protocol,
        ws="none",
        timeout_keep_alive=settings.http_keep_alive_s,
        limit_concurrency=settings.http_max_connections,
        timeout_graceful_shutdown=settings.http_shutdown_grace_s,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        **options,
    )
