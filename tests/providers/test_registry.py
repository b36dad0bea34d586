"""Provider choice, fallback only when a provider is unavailable, and the global bound on calls in flight."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date

import anyio
import pytest

from tests.fakes.fake_gemini import FakeGemini, parts_reply, prompt_block_reply, standard_parts
from tests.fakes.fake_openai import FakeOpenAI, error_reply, moderation_reply, quota_reply
from tests.fakes.http_fake import InFlight, Reply
from tests.fakes.images import reference
from tests.providers.conftest import MakeSettings
from tool_server.errors import (
    InvalidInput,
    ProviderAccountError,
    ProviderBlocked,
    ProviderRejected,
    ProviderUnavailable,
)
from tool_server.providers import ImageRequest, ProviderRegistry, RetryPolicy, calls_of

REQUEST = ImageRequest(prompt="Alice running a marathon", user="alice", references=(reference(),))


RegistryFor = Callable[..., ProviderRegistry]


@pytest.fixture
def registry_for(make_settings: MakeSettings, fast_retries: RetryPolicy, today: date) -> RegistryFor:
    def make(**settings: object) -> ProviderRegistry:
        return ProviderRegistry(make_settings(**settings), retry_policy=fast_retries, today=lambda: today)

    return make


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"openai": True, "gemini": True}, "openai"),
        ({"openai": False}, "gemini"),
        ({"openai": False, "gemini": False}, "offline"),
    ],
)
def test_auto_prefers_openai_then_gemini_then_offline(
    registry_for: RegistryFor, keys: dict[str, bool], expected: str
) -> None:
    registry = registry_for(**keys)

    assert registry.get().name == expected
    assert registry.get("auto").name == expected


def test_auto_without_keys_warns_loudly_once(
    registry_for: RegistryFor, caplog: pytest.LogCaptureFixture
) -> None:
    registry = registry_for(openai=False, gemini=False)

    registry.get()
    registry.get()

    warnings = [r for r in caplog.records if "OFFLINE" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"
    assert warnings[0].name.startswith("tool_server.providers")


def test_available_and_candidates_follow_the_keys_and_the_fallback_order(registry_for: RegistryFor) -> None:
    registry = registry_for(openai=False, provider_fallback=["openai", "gemini", "offline"])

    assert registry.available() == ["gemini", "offline"]
    assert registry.candidates_for("openai") == ["openai", "gemini", "offline"]
    assert registry.candidates_for(None) == ["gemini", "offline"]
    assert registry.candidates_for("auto", model="gpt-image-1.5") == ["openai", "gemini", "offline"]


def test_a_setting_choice_and_unknown_names(registry_for: RegistryFor) -> None:
    assert registry_for(provider="gemini").get().name == "gemini"
    with pytest.raises(InvalidInput, match="choose auto, openai, gemini or offline"):
        registry_for().get("midjourney")


async def test_falls_back_to_the_next_provider_when_one_is_unavailable(
    registry_for: RegistryFor, fake_openai: FakeOpenAI, fake_gemini: FakeGemini
) -> None:
    fake_openai.enqueue(*[error_reply(503, "Overloaded", type="server_error")] * 3)
    registry = registry_for()

    result = await registry.generate_with_fallback(
        ImageRequest(prompt="x", user="alice", model="gpt-image-2", size="1024x1024")
    )

    assert result.provider == "gemini" and result.model == "gemini-3-pro-image"
    assert [(c.provider, c.attempts, c.error_kind) for c in result.calls] == [
        ("openai", 3, "ProviderUnavailable"),
        ("gemini", 1, None),
    ]
    assert fake_gemini.model_of(fake_gemini.requests[0]) == "gemini-3-pro-image"


async def test_a_missing_key_for_the_chosen_provider_falls_back_without_a_request(
    registry_for: RegistryFor, fake_openai: FakeOpenAI, fake_gemini: FakeGemini
) -> None:
    registry = registry_for(openai=False)

    result = await registry.generate_with_fallback(REQUEST, "openai")

    assert result.provider == "gemini" and fake_openai.requests == []


async def test_a_content_block_is_never_sent_to_another_provider(
    registry_for: RegistryFor, fake_openai: FakeOpenAI, fake_gemini: FakeGemini
) -> None:
    fake_openai.enqueue(moderation_reply())

    with pytest.raises(ProviderBlocked) as raised:
        await registry_for().generate_with_fallback(REQUEST)

    assert fake_gemini.requests == []
    assert [c.provider for c in calls_of(raised.value)] == ["openai"]


async def test_a_block_after_a_fallback_keeps_every_call(
    registry_for: RegistryFor, fake_openai: FakeOpenAI, fake_gemini: FakeGemini
) -> None:
    fake_openai.enqueue(*[error_reply(500, "down", type="server_error")] * 3)
    fake_gemini.enqueue(prompt_block_reply())

    with pytest.raises(ProviderBlocked) as raised:
        await registry_for().generate_with_fallback(REQUEST)
    assert [c.provider for c in calls_of(raised.value)] == ["openai", "gemini"]


async def test_a_rejected_parameter_is_not_retried_elsewhere(
    registry_for: RegistryFor, fake_gemini: FakeGemini
) -> None:
    with pytest.raises(ProviderRejected, match="use gpt-image-2"):
        await registry_for().generate_with_fallback(ImageRequest(prompt="x", user="u", model="gpt-image-1"))
    assert fake_gemini.requests == []


async def test_when_every_provider_is_unavailable_the_error_lists_them_all(
    registry_for: RegistryFor, fake_openai: FakeOpenAI, fake_gemini: FakeGemini
) -> None:
    fake_openai.enqueue(*[error_reply(503, "Overloaded", type="server_error")] * 3)
    fake_gemini.enqueue(
        *[Reply(503, {"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}})] * 3
    )
    registry = registry_for(provider_fallback=["openai", "gemini"])

    with pytest.raises(ProviderUnavailable, match=r"openai: .*gemini: ") as raised:
        await registry.generate_with_fallback(REQUEST)
    assert [c.provider for c in calls_of(raised.value)] == ["openai", "gemini"]


async def test_the_offline_fallback_serves_when_the_vendors_are_down(
    registry_for: RegistryFor, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(*[error_reply(502, "Bad gateway", type="server_error")] * 3)
    registry = registry_for(gemini=False, provider_fallback=["openai", "gemini", "offline"])

    result = await registry.generate_with_fallback(ImageRequest(prompt="x", user="u", size="1024x640"))

    assert result.provider == "offline" and [c.provider for c in result.calls] == ["openai", "offline"]


async def test_the_default_fallback_never_reaches_the_offline_provider_when_a_vendor_key_is_set(
    registry_for: RegistryFor, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(*[error_reply(502, "Bad gateway", type="server_error")] * 3)
    registry = registry_for(gemini=False)

    assert registry.candidates_for(None) == ["openai"]
    with pytest.raises(ProviderUnavailable, match="Try again later") as raised:
        await registry.generate_with_fallback(REQUEST)
    assert [c.provider for c in calls_of(raised.value)] == ["openai"]


async def test_an_out_of_quota_account_moves_to_another_vendor_but_never_to_a_listed_offline_provider(
    registry_for: RegistryFor, fake_openai: FakeOpenAI, fake_gemini: FakeGemini
) -> None:
    fake_openai.enqueue(quota_reply(), quota_reply())
    fake_gemini.enqueue(
        Reply(403, {"error": {"code": 403, "message": "API key not valid", "status": "PERMISSION_DENIED"}})
    )
    registry = registry_for(provider_fallback=["openai", "gemini", "offline"])

    with pytest.raises(ProviderAccountError, match="operator") as raised:
        await registry.generate_with_fallback(REQUEST)

    assert "out of quota" in str(raised.value) and "GEMINI_API_KEY" in str(raised.value)
    assert [c.provider for c in calls_of(raised.value)] == ["openai", "gemini"]
    assert len(fake_openai.requests) == 1  # quota is not retried

    fake_openai.enqueue(quota_reply())
    result = await registry_for(provider_fallback=["openai", "gemini"]).generate_with_fallback(REQUEST)
    assert result.provider == "gemini"


async def test_calls_in_flight_never_exceed_the_global_bound_across_providers(
    registry_for: RegistryFor, fake_openai: FakeOpenAI, fake_gemini: FakeGemini, in_flight: InFlight
) -> None:
    slow = parts_reply(standard_parts()).json
    fake_gemini.enqueue(*[Reply(200, slow, delay_s=0.15)] * 5)
    fake_openai.enqueue(*[Reply(200, _openai_ok(), delay_s=0.15)] * 3)
    registry = registry_for(provider_max_concurrency=2)

    async with anyio.create_task_group() as group:
        group.start_soon(registry.get("gemini").generate, ImageRequest(prompt="x", user="u", n=5))
        for _ in range(3):
            group.start_soon(registry.get("openai").generate, ImageRequest(prompt="x", user="u"))

    assert len(fake_gemini.requests) == 5 and len(fake_openai.requests) == 3
    assert in_flight.max == 2


def _openai_ok() -> dict[str, object]:
    from tests.fakes.fake_openai import images_reply
    from tests.fakes.images import png

    body = images_reply([png()]).json
    assert isinstance(body, dict)
    return body


def test_importing_the_providers_package_loads_no_vendor_sdk_or_image_library() -> None:
    code = (
        "import sys, tool_server.providers as p; p.ProviderRegistry; "
        "print(','.join(m for m in ('openai', 'google.genai', 'PIL', 'dlib', 'httpx2') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )

    assert loaded.stdout.strip() == ""
