"""Shared fixtures: clean settings per test, an in-process MCP client in either protocol era."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tool_server.app import AppContext, build_app
from tool_server.server import create_server
from tool_server.settings import Settings

_PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's keys, settings or .env file."""
    for name in list(os.environ):
        if name.startswith("COACH_IMAGE_") or name in _PROVIDER_ENV:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(storage_url=str(tmp_path / "data"), user="alice", provider="offline", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def app(settings: Settings) -> AppContext:
    return build_app(settings, "stdio")


Connect = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
def connect(app: AppContext) -> Connect:
    """`async with connect(mode="legacy") as client:` a real MCP client on the in-process server."""

    @asynccontextmanager
    async def _connect(mode: str = "auto", **client_options: Any) -> AsyncIterator[Client]:
        server = create_server(app.settings, app.transport, app=app)
        async with Client(server, mode=mode, raise_exceptions=True, **client_options) as client:
            yield client

    return _connect


def wire(result: Any) -> dict[str, Any]:
    """A protocol result as the JSON that crosses the wire."""
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)
