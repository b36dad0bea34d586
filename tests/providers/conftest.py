"""Fixtures for the provider tests: vendor fakes on loopback and settings that point the SDKs at them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_gemini import FakeGemini
from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.http_fake import InFlight
from tool_server.providers import RetryPolicy
from tool_server.providers import capabilities as capabilities_module
from tool_server.settings import Settings

MakeSettings = Callable[..., Settings]


@pytest.fixture(autouse=True)
def _fresh_warnings() -> Iterator[None]:
    """Warn-once state must not leak between tests that assert on the warnings."""
    capabilities_module._warned.clear()
    yield
    capabilities_module._warned.clear()


@pytest.fixture
def today() -> date:
    """The day the wire facts were checked: gpt-image-1.5 is deprecated, not yet shut down."""
    return date(2026, 11, 21)


@pytest.fixture
def in_flight() -> InFlight:
    return InFlight()


@pytest.fixture
def fake_openai(in_flight: InFlight) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(in_flight=in_flight) as fake:
        yield fake


@pytest.fixture
def fake_gemini(in_flight: InFlight) -> Iterator[FakeGemini]:
    with FakeGemini(in_flight=in_flight) as fake:
        yield fake


@pytest.fixture
def make_settings(tmp_path: Path, fake_openai: FakeOpenAI, fake_gemini: FakeGemini) -> MakeSettings:
    """Settings with keys for the chosen vendors and their base URLs on the fakes."""

    def make(*, openai: bool = True, gemini: bool = True, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "storage_url": str(tmp_path / "data"),
            "user": "alice",
            "openai_api_key": "sk-test-not-a-real-key" if openai else None,
            "openai_base_url": fake_openai.base_url,
            "gemini_api_key": "gemini-test-not-a-real-key" if gemini else None,
            "gemini_base_url": fake_gemini.base_url,
            "provider_timeout_s": 2.0,
            "provider_max_retries": 2,
            **overrides,
        }
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
def fast_retries() -> RetryPolicy:
    """Three attempts with millisecond backoffs, so fault tests stay fast."""
    return RetryPolicy(
        attempts=3, initial_backoff_s=0.01, max_backoff_s=0.02, max_retry_after_s=5.0, timeout_s=2.0
    )
