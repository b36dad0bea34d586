"""The OpenAI adapter when the vendor fails: what is retried, what never is, what the coach reads."""

from __future__ import annotations

import time
from datetime import date

import pytest

from tests.fakes.fake_openai import (
    FakeOpenAI,
    error_reply,
    images_reply,
    moderation_reply,
    quota_reply,
    rate_limit_reply,
)
from tests.fakes.http_fake import Reply
from tests.fakes.images import jpeg, png, reference
from tests.providers.conftest import MakeSettings
from tool_server.errors import (
    ProviderAccountError,
    ProviderBlocked,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)
from tool_server.providers import ImageRequest, RetryPolicy, calls_of
from tool_server.providers.openai_errors import VERIFY_URL
from tool_server.providers.openai_provider import OpenAIProvider

REQUEST = ImageRequest(prompt="Alice hiking at dawn", user="alice", references=(reference(),))


@pytest.fixture
def provider(make_settings: MakeSettings, fast_retries: RetryPolicy, today: date) -> OpenAIProvider:
    return OpenAIProvider(make_settings(), retry_policy=fast_retries, today=lambda: today)


async def test_429_is_retried_after_the_retry_after_the_server_asks_for(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(rate_limit_reply(retry_after_ms="300"))
    started = time.monotonic()

    result = await provider.generate(REQUEST)

    assert time.monotonic() - started >= 0.3
    assert len(fake_openai.requests) == 2
    assert result.calls[0].attempts == 2


async def test_429_asking_to_wait_longer_than_allowed_is_not_waited_for(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(rate_limit_reply(retry_after="600"))

    with pytest.raises(ProviderUnavailable, match="wait 600 s") as raised:
        await provider.generate(REQUEST)
    assert len(fake_openai.requests) == 1
    assert calls_of(raised.value)[0].error_kind == "ProviderUnavailable"


async def test_a_500_then_success_returns_the_image_after_two_attempts(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(error_reply(500, "The server had an error.", type="server_error"))

    result = await provider.generate(REQUEST)

    assert len(result.images) == 1 and len(fake_openai.requests) == 2
    assert result.calls[0].attempts == 2 and result.calls[0].error is None


async def test_persistent_5xx_gives_up_after_the_configured_attempts(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(*[error_reply(503, "Overloaded", type="server_error")] * 5)

    with pytest.raises(ProviderUnavailable, match="503") as raised:
        await provider.generate(REQUEST)
    assert len(fake_openai.requests) == 3
    [call] = calls_of(raised.value)
    assert call.attempts == 3 and "503" in (call.error or "")


async def test_a_timeout_is_retried_then_reported_as_unavailable(
    make_settings: MakeSettings, fake_openai: FakeOpenAI, today: date
) -> None:
    policy = RetryPolicy(attempts=2, initial_backoff_s=0.01, max_backoff_s=0.01, timeout_s=0.3)
    provider = OpenAIProvider(make_settings(), retry_policy=policy, today=lambda: today)
    fake_openai.enqueue(Reply(delay_s=2), Reply(delay_s=2))

    with pytest.raises(ProviderUnavailable, match="did not answer within"):
        await provider.generate(REQUEST)
    assert len(fake_openai.requests) == 2


@pytest.mark.parametrize(
    "glitch",
    [
        Reply(reset=True),
        Reply(200, body=b'{"created": 1, "data": [{"b64_json": '),
        Reply(200, {"created": 1, "data": [{"b64_json": "!!not base64!!"}]}),
        Reply(200, {"created": 1, "data": [{"b64_json": "bm90IGFuIGltYWdl"}]}),  # base64 of "not an image"
        Reply(200, {"created": 1, "data": []}),
    ],
    ids=["connection-reset", "malformed-json", "bad-base64", "not-an-image", "no-images"],
)
async def test_a_transient_glitch_is_retried_and_the_next_answer_used(
    provider: OpenAIProvider, fake_openai: FakeOpenAI, glitch: Reply
) -> None:
    fake_openai.enqueue(glitch, images_reply([jpeg()]))

    result = await provider.generate(REQUEST)

    assert [image.mime_type for image in result.images] == ["image/jpeg"]
    assert len(fake_openai.requests) == 2


async def test_bad_base64_every_time_ends_as_unavailable(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(*[Reply(200, {"created": 1, "data": [{"b64_json": "%%%"}]})] * 3)

    with pytest.raises(ProviderUnavailable, match="unreadable image"):
        await provider.generate(REQUEST)


async def test_a_moderation_block_is_never_retried_and_says_to_rephrase(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(moderation_reply("output", ("violence",)))

    with pytest.raises(ProviderBlocked) as raised:
        await provider.generate(REQUEST)

    message = str(raised.value)
    assert "generated image" in message and "violence" in message and "rephrase" in message
    assert len(fake_openai.requests) == 1
    assert calls_of(raised.value)[0].error_kind == "ProviderBlocked"


async def test_insufficient_quota_is_never_retried(provider: OpenAIProvider, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(quota_reply(), quota_reply())

    with pytest.raises(ProviderAccountError, match="out of quota") as raised:
        await provider.generate(REQUEST)
    assert len(fake_openai.requests) == 1
    assert raised.value.retryable is False


async def test_an_unverified_organisation_is_told_where_to_verify(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(
        error_reply(403, "Your organization must be verified to use the model `gpt-image-2`.", code=None)
    )

    with pytest.raises(ProviderAccountError) as raised:
        await provider.generate(REQUEST)
    assert "verified organization" in str(raised.value)
    assert VERIFY_URL == "https://platform.openai.com/settings/organization/general"
    assert VERIFY_URL in str(raised.value)


async def test_a_bad_key_points_at_openai_api_key(provider: OpenAIProvider, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(error_reply(401, "Incorrect API key provided.", code="invalid_api_key"))

    with pytest.raises(ProviderAccountError, match="fix OPENAI_API_KEY"):
        await provider.generate(REQUEST)
    assert len(fake_openai.requests) == 1


async def test_a_400_names_the_parameter_the_vendor_refused(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(error_reply(400, "Invalid value: 'hd'.", code="invalid_value", param="quality"))

    with pytest.raises(ProviderRejected, match="parameter `quality`") as raised:
        await provider.generate(REQUEST)
    assert not isinstance(raised.value, ProviderUnavailable)
    assert len(fake_openai.requests) == 1


async def test_x_should_retry_false_stops_a_retry(provider: OpenAIProvider, fake_openai: FakeOpenAI) -> None:
    fake_openai.enqueue(
        error_reply(500, "Do not retry.", type="server_error", headers={"x-should-retry": "false"})
    )

    with pytest.raises(ProviderError):
        await provider.generate(REQUEST)
    assert len(fake_openai.requests) == 1


async def test_image_bytes_from_the_vendor_get_their_real_mime_type(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(images_reply([png(), jpeg()]))

    result = await provider.generate(ImageRequest(prompt="x", user="u", n=2, output_format="png"))

    assert [image.mime_type for image in result.images] == ["image/png", "image/jpeg"]
