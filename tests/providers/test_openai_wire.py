"""What the OpenAI adapter puts on the wire, checked on a fake Images API that the real SDK talks to."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from tests.fakes.fake_openai import FakeOpenAI, schema_errors
from tests.fakes.images import reference
from tests.providers.conftest import MakeSettings
from tool_server.errors import InvalidInput, ProviderRejected, ProviderUnavailable
from tool_server.providers import ImageRequest, ReferenceImage, RetryPolicy, calls_of, user_hash
from tool_server.providers.openai_provider import OpenAIProvider


@pytest.fixture
def provider(make_settings: MakeSettings, fast_retries: RetryPolicy, today: date) -> OpenAIProvider:
    return OpenAIProvider(make_settings(), retry_policy=fast_retries, today=lambda: today)


def request(**changes: object) -> ImageRequest:
    values: dict[str, object] = {"prompt": "Alice presenting at a conference", "user": "alice@example.com"}
    return ImageRequest(**{**values, **changes})  # type: ignore[arg-type]


async def test_edit_sends_every_reference_as_an_image_part_with_a_filename_and_its_real_mime_type(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    refs = (
        reference("png", name="front.png"),
        reference("jpeg", name="side photo.PNG", mime="image/png"),  # a JPEG labelled PNG by its uploader
        reference("webp", name="smile"),
    )
    await provider.generate(request(references=refs))

    [sent] = fake_openai.requests
    assert sent.path == "/v1/images/edits"
    parts = [(p.field, p.filename, p.content_type) for p in sent.files]
    assert parts == [
        ("image[]", "front.png", "image/png"),
        ("image[]", "side_photo.jpg", "image/jpeg"),
        ("image[]", "smile.webp", "image/webp"),
    ]
    assert [p.data for p in sent.files] == [r.data for r in refs]
    assert fake_openai.violations == []


async def test_edit_with_gpt_image_2_sends_no_input_fidelity_and_no_response_format(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    await provider.generate(request(references=(reference(),), size="1536x864", quality="medium", n=2))

    params = fake_openai.params(fake_openai.requests[0])
    assert params == {
        "model": "gpt-image-2",
        "prompt": "Alice presenting at a conference",
        "n": "2",
        "size": "1536x864",
        "quality": "medium",
        "background": "auto",
        "output_format": "png",
        "safety_identifier": user_hash("alice@example.com"),
    }
    assert "input_fidelity" not in params and "response_format" not in params


async def test_edit_with_a_model_that_takes_it_sends_input_fidelity_high(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    await provider.generate(request(references=(reference(),), model="gpt-image-1.5"))

    assert fake_openai.params(fake_openai.requests[0])["input_fidelity"] == "high"
    assert fake_openai.violations == []


async def test_edit_with_gpt_image_1_mini_leaves_input_fidelity_out(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    await provider.generate(request(references=(reference(),), model="gpt-image-1-mini"))

    assert "input_fidelity" not in fake_openai.params(fake_openai.requests[0])


async def test_generate_without_references_posts_json_that_matches_the_openapi_schema(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    await provider.generate(request(output_format="webp", background="opaque"))

    [sent] = fake_openai.requests
    assert sent.path == "/v1/images/generations"
    assert sent.headers["content-type"].startswith("application/json")
    assert schema_errors("CreateImageRequest", sent.json) == []
    assert (
        "input_fidelity" not in sent.json and "response_format" not in sent.json and "image" not in sent.json
    )
    assert sent.json["output_format"] == "webp"


async def test_the_user_id_never_reaches_the_vendor_only_a_stable_hash(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    await provider.generate(request())
    await provider.generate(request())

    ids = [r.json["safety_identifier"] for r in fake_openai.requests]
    assert ids[0] == ids[1]
    assert re.fullmatch(r"u_[0-9a-f]{16}", ids[0])
    assert all(b"alice" not in r.body for r in fake_openai.requests)


async def test_result_carries_sniffed_images_usage_cost_request_id_and_the_call(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    result = await provider.generate(request(references=(reference(),), output_format="webp", n=2))

    assert (result.provider, result.model) == ("openai", "gpt-image-2")
    assert [image.mime_type for image in result.images] == ["image/webp", "image/webp"]
    assert result.request_id == "req_fake_1"
    assert result.usage["output_tokens"] == 2 * 4160
    # 20 text + 323 image tokens in, 8320 image tokens out at $5 / $8 / $30 per 1M.
    assert result.cost_usd == pytest.approx((20 * 5 + 323 * 8 + 8320 * 30) / 1e6)
    [call] = result.calls
    assert (call.provider, call.model, call.operation, call.attempts) == (
        "openai",
        "gpt-image-2",
        "images.edit",
        1,
    )
    assert call.error is None and call.cost_usd == result.cost_usd
    assert call.params["image"][0]["mime_type"] == "image/png"
    assert "data" not in json.dumps(call.params)  # parameters only, never image bytes


async def test_transparent_background_is_sent_for_a_model_that_previews_it(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    await provider.generate(request(background="transparent", output_format="png"))

    assert fake_openai.requests[0].json["background"] == "transparent"


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        ({"model": "gpt-image-1"}, ProviderRejected, "use gpt-image-2"),
        ({"model": "gemini-3-pro-image"}, ProviderRejected, "gemini provider"),
        (
            {"model": "chatgpt-image-latest", "background": "transparent"},
            ProviderRejected,
            "param background",
        ),
        ({"background": "transparent", "output_format": "jpeg"}, InvalidInput, "png or webp"),
        ({"model": "gpt-image-1.5", "size": "1536x864"}, ProviderRejected, "param size"),
        ({"size": "1000x1000"}, ProviderRejected, "multiples of 16"),
        ({"size": "3840x960"}, ProviderRejected, "1:3 and 3:1"),
        ({"size": "512x512"}, ProviderRejected, "param size"),
        ({"n": 11}, InvalidInput, "between 1 and 10"),
        ({"prompt": "  "}, InvalidInput, "empty"),
        ({"references": (reference(),) * 17}, ProviderRejected, "at most 16"),
    ],
)
async def test_requests_that_cannot_work_are_refused_before_any_request(
    provider: OpenAIProvider, fake_openai: FakeOpenAI, changes: dict[str, object], error: type, words: str
) -> None:
    with pytest.raises(error, match=words) as raised:
        await provider.generate(request(**changes))

    assert fake_openai.requests == []
    assert calls_of(raised.value) == []


async def test_a_reference_that_is_not_an_image_is_refused_before_any_request(
    provider: OpenAIProvider, fake_openai: FakeOpenAI
) -> None:
    bogus = ReferenceImage(data=b"%PDF-1.7 not an image", mime_type="image/png", name="cv.png")

    with pytest.raises(InvalidInput, match=r"cv\.png"):
        await provider.generate(request(references=(bogus,)))
    assert fake_openai.requests == []


async def test_without_a_key_the_provider_is_unavailable_and_sends_nothing(
    make_settings: MakeSettings, fake_openai: FakeOpenAI
) -> None:
    provider = OpenAIProvider(make_settings(openai=False))

    with pytest.raises(ProviderUnavailable, match="OPENAI_API_KEY"):
        await provider.generate(request())
    assert fake_openai.requests == []


async def test_an_unknown_model_is_sent_with_conservative_parameters_and_a_warning(
    provider: OpenAIProvider, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    await provider.generate(request(model="gpt-image-9-preview", references=(reference(),)))

    params = fake_openai.params(fake_openai.requests[0])
    assert params["model"] == "gpt-image-9-preview" and "input_fidelity" not in params
    assert "not in the capability table" in caplog.text


async def test_a_deprecated_model_still_works_before_its_shutdown_with_a_warning(
    provider: OpenAIProvider, fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    await provider.generate(request(model="gpt-image-1.5"))

    assert "shuts down on 2026-12-01" in caplog.text
    assert len(fake_openai.requests) == 1


async def test_a_deprecated_model_is_refused_once_its_shutdown_date_has_passed(
    make_settings: MakeSettings, fake_openai: FakeOpenAI
) -> None:
    provider = OpenAIProvider(make_settings(), today=lambda: date(2026, 12, 2))

    with pytest.raises(ProviderRejected, match="shut down on 2026-12-01: use gpt-image-2"):
        await provider.generate(request(model="gpt-image-1.5"))
    assert fake_openai.requests == []
