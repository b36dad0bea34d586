from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import pytest
from mcp import Client

from storage import BlobStore, open_store
from tests.fakes.fake_gemini import FakeGemini
from tests.fakes.fake_openai import FakeOpenAI
from tool_server.app import AppContext, build_app
from tool_server.providers import ProviderRegistry
from tool_server.server import create_server
from tool_server.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, storage_url=str(tmp_path / "store"))


@pytest.fixture
def blobs(settings: Settings) -> BlobStore:
    return open_store(settings.resolved_storage_url())


HostedApp = Callable[..., AppContext]
CHECKED_ON = date(2026, 11, 21)  # the day the wire facts were checked: gpt-image-1.5 not yet shut down


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def hosted_app(tmp_path: Path, fake_openai: FakeOpenAI, fake_gemini: FakeGemini) -> HostedApp:
    """`hosted_app("openai", model=...)`: an app whose provider talks to a vendor fake on loopback."""

    def make(provider: str = "openai", *, model: str | None = None, transport: str = "stdio") -> AppContext:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            storage_url=str(tmp_path / "hosted"),
            user="alice",
            provider=provider,
            provider_fallback=[provider],
            openai_api_key="sk-test-not-a-real-key",
            openai_base_url=fake_openai.base_url,
            openai_model=model or "gpt-image-2",
            gemini_api_key="gemini-test-not-a-real-key",
            gemini_base_url=fake_gemini.base_url,
            gemini_model=model or "gemini-3-pro-image",
            provider_max_retries=0,
        )
        app = build_app(settings, transport)  # type: ignore[arg-type]
        app.providers = ProviderRegistry(settings, today=lambda: CHECKED_ON)
        return app

    return make


@asynccontextmanager
async def mcp_client(app: AppContext) -> AsyncIterator[Client]:
    """A real MCP client on the in-process server built around `app`."""
    server = create_server(app.settings, app.transport, app=app)
    async with Client(server, raise_exceptions=True) as client:
        yield client
