"""The Gemini adapter against a fake generateContent endpoint that the real google-genai SDK talks to."""

from __future__ import annotations

from datetime import date

import pytest

from tests.fakes.fake_gemini import (
    FINAL_IMAGE,
    THOUGHT_IMAGE,
    FakeGemini,
    error_reply,
    finish_reply,
    image_part,
    parts_reply,
    prompt_block_reply,
    standard_parts,
    text_part,
    usage,
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
from tool_server.providers.gemini_provider import GeminiProvider


@pytest.fixture
def provider(make_settings: MakeSettings, fast_retries: RetryPolicy, today: date) -> GeminiProvider:
    return GeminiProvider(make_settings(), retry_policy=fast_retries, today=lambda: today)


def request(**changes: object) -> ImageRequest:
    values: dict[str, object] = {
        "prompt": "Alice on a stage, warm light",
        "user": "alice",
        "size": "1536x864",
    }
    return ImageRequest(**{**values, **changes})  # type: ignore[arg-type]


async def test_reference_images_go_before_the_text_with_their_sniffed_mime_types(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    refs = (reference("png"), reference("jpeg", mime="image/png"))  # second: JPEG bytes labelled PNG

    await provider.generate(request(references=refs))

    [sent] = fake_gemini.requests
    parts = fake_gemini.sent_parts(sent)
    assert [(p.kind, p.mime_type) for p in parts] == [
        ("image", "image/png"),
        ("image", "image/jpeg"),
        ("text", None),
    ]
    assert [p.data for p in parts[:2]] == [r.data for r in refs]
    assert parts[2].text == "Alice on a stage, warm light"
    assert fake_gemini.violations == []


async def test_config_asks_for_text_and_image_with_camel_case_image_config(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    await provider.generate(request())

    [sent] = fake_gemini.requests
    assert sent.path == "/v1beta/models/gemini-3-pro-image:generateContent"
    assert sent.headers["x-goog-api-key"] == "gemini-test-not-a-real-key"
    config = sent.json["generationConfig"]
    assert config["responseModalities"] == ["TEXT", "IMAGE"]
    assert config["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
    assert config["thinkingConfig"] == {"include_thoughts": True}
    assert "candidateCount" not in config


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("1024x1024", {"aspectRatio": "1:1", "imageSize": "1K"}),
        ("1024x1536", {"aspectRatio": "2:3", "imageSize": "2K"}),
        ("3840x2160", {"aspectRatio": "16:9", "imageSize": "4K"}),
        ("auto", {"imageSize": "1K"}),
    ],
)
async def test_size_maps_to_the_nearest_aspect_ratio_and_an_uppercase_k_tier(
    provider: GeminiProvider, fake_gemini: FakeGemini, size: str, expected: dict[str, str]
) -> None:
    await provider.generate(request(size=size))

    assert fake_gemini.requests[0].json["generationConfig"]["imageConfig"] == expected


async def test_thought_images_are_interim_and_the_last_plain_image_is_final(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    early_final = png((4, 4), (1, 2, 3))
    parts = [*standard_parts()[:2], image_part(early_final), text_part("Here it is"), image_part(FINAL_IMAGE)]
    fake_gemini.enqueue(parts_reply(parts))

    result = await provider.generate(request())

    assert [image.data for image in result.images] == [FINAL_IMAGE]
    assert [image.data for image in result.interim] == [THOUGHT_IMAGE]


async def test_n_images_are_n_concurrent_calls(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.enqueue(*[Reply(200, parts_reply(standard_parts()).json, delay_s=0.3)] * 3)

    result = await provider.generate(request(n=3))

    assert len(fake_gemini.requests) == 3 and fake_gemini.max_in_flight == 3
    assert len(result.images) == 3 and len(result.interim) == 3 and len(result.calls) == 3
    assert result.cost_usd == pytest.approx(3 * result.calls[0].cost_usd)


async def test_jpeg_bytes_labelled_png_are_returned_as_jpeg(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.enqueue(parts_reply([image_part(jpeg(), "image/png")]))

    result = await provider.generate(request())

    assert result.images[0].mime_type == "image/jpeg"


async def test_cost_comes_from_usage_metadata_and_the_price_table(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    result = await provider.generate(request())

    [call] = result.calls
    # 7 prompt tokens at $2, 1120 image tokens at $120, 273 thinking tokens at $12 per 1M.
    assert call.cost_usd == pytest.approx((7 * 2 + 1120 * 120 + 273 * 12) / 1e6)
    assert result.usage["candidates_token_count"] == 1120
    assert call.request_id == result.request_id == "resp_fake"
    assert call.params["parts"][-1] == {"text_chars": len("Alice on a stage, warm light")}


async def test_a_blocked_prompt_is_never_retried(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.enqueue(prompt_block_reply("PROHIBITED_CONTENT"))

    with pytest.raises(ProviderBlocked, match=r"PROHIBITED_CONTENT.*rephrase") as raised:
        await provider.generate(request())
    assert len(fake_gemini.requests) == 1
    assert calls_of(raised.value)[0].error_kind == "ProviderBlocked"


@pytest.mark.parametrize("reason", ["IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "SAFETY", "IMAGE_OTHER"])
async def test_a_safety_finish_reason_is_a_block(
    provider: GeminiProvider, fake_gemini: FakeGemini, reason: str
) -> None:
    fake_gemini.enqueue(finish_reply(reason))

    with pytest.raises(ProviderBlocked, match=reason):
        await provider.generate(request())
    assert len(fake_gemini.requests) == 1


async def test_a_text_only_answer_is_an_error_that_quotes_the_text(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.enqueue(finish_reply("NO_IMAGE", text="I can only describe this scene."))

    with pytest.raises(ProviderError, match="only describe this scene") as raised:
        await provider.generate(request())
    assert type(raised.value) is ProviderError
    assert len(fake_gemini.requests) == 1


async def test_429_is_retried_after_the_retry_delay_the_error_names(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.enqueue(error_reply(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", retry_delay="0.2s"))

    result = await provider.generate(request())

    assert len(fake_gemini.requests) == 2 and result.calls[0].attempts == 2
    assert result.calls[0].latency_s >= 0.2


@pytest.mark.parametrize(
    "glitch",
    [
        error_reply(503, "UNAVAILABLE", "The model is overloaded."),
        error_reply(500, "INTERNAL", "Internal error."),
        Reply(reset=True),
        Reply(200, body=b"{not json"),
        Reply(
            200,
            {
                "candidates": [
                    {
                        "content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "*!"}}]},
                        "finishReason": "STOP",
                    }
                ]
            },
        ),
    ],
    ids=["503", "500", "connection-reset", "malformed-json", "bad-base64"],
)
async def test_a_transient_failure_is_retried(
    provider: GeminiProvider, fake_gemini: FakeGemini, glitch: Reply
) -> None:
    fake_gemini.enqueue(glitch)

    result = await provider.generate(request())

    assert len(result.images) == 1 and len(fake_gemini.requests) == 2


async def test_a_timeout_ends_as_unavailable_after_the_attempts(
    make_settings: MakeSettings, fake_gemini: FakeGemini, today: date
) -> None:
    policy = RetryPolicy(attempts=2, initial_backoff_s=0.01, max_backoff_s=0.01, timeout_s=0.3)
    provider = GeminiProvider(make_settings(), retry_policy=policy, today=lambda: today)
    fake_gemini.enqueue(Reply(delay_s=2), Reply(delay_s=2))

    with pytest.raises(ProviderUnavailable, match="did not answer within") as raised:
        await provider.generate(request())
    assert len(fake_gemini.requests) == 2
    assert calls_of(raised.value)[0].attempts == 2


async def test_a_bad_request_is_rejected_with_the_vendor_message(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.enqueue(
        error_reply(400, "INVALID_ARGUMENT", "Invalid value at 'generation_config.image_config'.")
    )

    with pytest.raises(ProviderRejected, match="image_config"):
        await provider.generate(request())
    assert len(fake_gemini.requests) == 1


async def test_a_bad_key_points_at_the_key_variables(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.enqueue(
        error_reply(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
    )

    with pytest.raises(ProviderAccountError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        await provider.generate(request())


async def test_one_failed_call_of_several_still_returns_the_other_images(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.enqueue(prompt_block_reply())

    result = await provider.generate(request(n=2))

    assert len(result.images) == 1
    assert sorted(call.error_kind or "ok" for call in result.calls) == ["ProviderBlocked", "ok"]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"background": "transparent"}, "cannot make a transparent background"),
        ({"model": "gemini-3-pro-image-preview"}, "use gemini-3-pro-image"),
        ({"model": "gemini-2.5-flash-image"}, "use gemini-3.1-flash-image"),
        ({"references": (reference(),) * 15}, "at most 14"),
    ],
)
async def test_requests_gemini_cannot_serve_are_refused_before_any_request(
    provider: GeminiProvider, fake_gemini: FakeGemini, changes: dict[str, object], words: str
) -> None:
    with pytest.raises(ProviderRejected, match=words):
        await provider.generate(request(**changes))
    assert fake_gemini.requests == []


async def test_flash_image_model_is_sent_as_named(provider: GeminiProvider, fake_gemini: FakeGemini) -> None:
    fake_gemini.enqueue(parts_reply(standard_parts(), usage_metadata=usage(image_tokens=1120, thoughts=0)))

    result = await provider.generate(request(model="gemini-3.1-flash-image", size="1024x1024"))

    assert fake_gemini.requests[0].path.endswith("/models/gemini-3.1-flash-image:generateContent")
    assert result.cost_usd == pytest.approx((7 * 0.5 + 1120 * 60) / 1e6, abs=1e-6)
