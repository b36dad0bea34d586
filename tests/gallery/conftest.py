"""Gallery fixtures: a user with a photo, an identity and a real offline run, and a live HTTP server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
import uvicorn
from mcp import Client

from tests.generation.conftest import prepare_user
from tool_server.app import AppContext, build_app
from tool_server.server import create_server
from tool_server.settings import Settings


@dataclass
class MadeRun:
    run_id: str
    identity_id: str
    result: dict


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def gallery_settings(tmp_path: Path) -> Settings:
    # The port is chosen first: signed image links name the server's own address.
    return Settings(  # type: ignore[call-arg]
        storage_url=str(tmp_path / "data"),
        gallery_dir=tmp_path / "gallery",
        user="alice",
        provider="offline",
        port=free_port(),
        # The pages show a finished run: on a busy machine a run may outlast the default 45 s.
        sync_deadline_s=600,
        _env_file=None,
    )


@pytest.fixture
def http_app(gallery_settings: Settings) -> AppContext:
    return build_app(gallery_settings, "http")


async def make_run(app: AppContext, *, identity_name: str | None = None) -> MadeRun:
    """A generic_swap run with two candidates on the offline provider, through a real MCP client."""
    server = create_server(app.settings, app.transport, app=app)
    async with Client(server, raise_exceptions=True) as client:
        identity_id = await prepare_user(client, profile=True)
        if identity_name is not None:
            await client.call_tool(
                "save_identity",
                {"identity_id": identity_id, "name": identity_name, "visualization": "On stage"},
            )
        result = await client.call_tool(
            "generate_identity_image",
            {"identity_id": identity_id, "candidates": 2, "strategy": "generic_swap"},
        )
    assert not result.is_error, result.content
    out = result.structured_content
    return MadeRun(run_id=out["run_id"], identity_id=identity_id, result=out)


@pytest.fixture
async def made_run(http_app: AppContext) -> MadeRun:
    return await make_run(http_app)


class _LoopbackServer(uvicorn.Server):
    """uvicorn with an event for "listening" (it only offers a polled flag)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = anyio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@asynccontextmanager
async def serve_http(app: AppContext) -> AsyncIterator[str]:
    """The HTTP transport's ASGI app on a real uvicorn loopback port; yields its base URL."""
    asgi = create_server(app.settings, "http", app=app).streamable_http_app()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", app.settings.port))
    port = app.settings.port
    server = _LoopbackServer(uvicorn.Config(asgi, lifespan="on", log_level="warning", ws="none"))
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, [sock])
        with anyio.fail_after(10):
            await server.ready.wait()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
    sock.close()
