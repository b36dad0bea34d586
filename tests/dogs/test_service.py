from __future__ import annotations

import io
import time
from typing import Any

import anyio
import pytest
from PIL import Image

from storage import BlobStore
from tests.dogs import fakes
from tests.dogs.fakes import ScriptedProvider
from tool_server.dogs.base_image import builtin_base_png
from tool_server.dogs.cache import DogAvatarRecord
from tool_server.dogs.service import DogAvatarService
from tool_server.errors import InvalidInput, ProviderUnavailable
from tool_server.prompts.dog import PROMPT_VERSION
from tool_server.settings import Settings

NO_LIMBS = "ABSOLUTELY NO LIMBS"


def make_service(
    blobs: BlobStore, settings: Settings, provider: ScriptedProvider, alpha: bool = True
) -> DogAvatarService:
    def get_provider(name: str | None) -> ScriptedProvider:
        return provider

    return DogAvatarService(blobs, get_provider, settings, supports_transparency=lambda _name, _model: alpha)


async def test_a_miss_edits_the_base_image_with_the_jobs_prompt_and_stores_the_avatar(
    blobs: BlobStore, settings: Settings
) -> None:
    provider = ScriptedProvider([fakes.good_png()])
    result = await make_service(blobs, settings, provider).get_avatar(" Support ")

    [request] = provider.requests
    [reference] = request.references
    assert (reference.name, reference.mime_type, reference.data) == (
        "dog_base.png",
        "image/png",
        builtin_base_png(),
    )
    assert request.prompt.endswith("\nAccessory: tiny headset with mic")
    assert NO_LIMBS not in request.prompt
    assert (request.background, request.output_format, request.size, request.model, request.n) == (
        "transparent",
        "png",
        "1024x1024",
        "fake-image-1",
        1,
    )
    assert (result.job, result.cached, result.needs_review, result.attempts) == ("support", False, False, 1)
    assert (result.prompt_version, result.model, result.provider) == (PROMPT_VERSION, "fake-image-1", "fake")
    assert result.cost_usd == fakes.COST_PER_IMAGE
    assert all(check.passed for check in result.validation)
    assert await blobs.get(result.image_key) == fakes.good_png()
    assert result.image_url == await blobs.url(result.image_key, settings.url_expiry_s)


async def test_a_second_call_is_a_cache_hit_without_a_provider_request(
    blobs: BlobStore, settings: Settings
) -> None:
    provider = ScriptedProvider([fakes.good_png()])
    service = make_service(blobs, settings, provider)
    first = await service.get_avatar("developer")

    started = time.perf_counter()
    second = await service.get_avatar("DEVELOPER")
    elapsed = time.perf_counter() - started

    assert len(provider.requests) == 1
    assert (second.cached, second.cost_usd, second.image_key) == (True, 0.0, first.image_key)
    assert second.validation == first.validation
    assert elapsed < 0.5


async def test_ten_concurrent_identical_calls_make_one_provider_request(
    blobs: BlobStore, settings: Settings
) -> None:
    provider = ScriptedProvider([fakes.good_png()], gate=anyio.Event())
    service = make_service(blobs, settings, provider)
    results = []

    async def call() -> None:
        results.append(await service.get_avatar("chef"))

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(call)
            await provider.called.wait()
            await anyio.wait_all_tasks_blocked()
            assert provider.gate is not None
            provider.gate.set()

    assert len(provider.requests) == 1
    assert len(results) == 10
    assert len({r.image_key for r in results}) == 1


async def test_an_opaque_image_is_retried_once_with_the_no_limbs_prompt(
    blobs: BlobStore, settings: Settings
) -> None:
    provider = ScriptedProvider([fakes.opaque_png(), fakes.good_png()])
    result = await make_service(blobs, settings, provider).get_avatar("pilot")

    first, retry = provider.requests
    assert NO_LIMBS not in first.prompt
    assert f"\n{NO_LIMBS}: remove any arms/hands/paws; show head/neck only." in retry.prompt
    assert retry.prompt.endswith("\nAccessory: simple aviator cap with goggles on top")
    assert (result.needs_review, result.attempts, result.failed_checks) == (False, 2, [])
    assert result.cost_usd == pytest.approx(2 * fakes.COST_PER_IMAGE)
    assert await blobs.get(result.image_key) == fakes.good_png()


async def test_two_failures_store_the_image_for_review_with_the_failed_checks_named(
    blobs: BlobStore, settings: Settings
) -> None:
    provider = ScriptedProvider([fakes.colourful_png(), fakes.opaque_png()])
    service = make_service(blobs, settings, provider)
    result = await service.get_avatar("artist")

    assert (result.needs_review, result.attempts) == (True, 2)
    assert result.failed_checks == ["transparency"]  # the better of the two: one failure, not two
    assert await blobs.get(result.image_key) == fakes.opaque_png()
    again = await service.get_avatar("artist")
    assert (again.cached, again.needs_review, again.failed_checks) == (True, True, ["transparency"])
    assert len(provider.requests) == 2


async def test_a_checkerboard_transparent_image_is_caught(blobs: BlobStore, settings: Settings) -> None:
    provider = ScriptedProvider([fakes.checkerboard_png(), fakes.checkerboard_png()])
    result = await make_service(blobs, settings, provider).get_avatar("legal")

    assert result.needs_review
    assert {"transparency", "no_checkerboard"} <= set(result.failed_checks)
    assert len(provider.requests) == 2


async def test_regenerate_makes_a_new_image_and_replaces_the_cached_one(
    blobs: BlobStore, settings: Settings
) -> None:
    provider = ScriptedProvider([fakes.good_png(), fakes.good_png(hat=True)])
    service = make_service(blobs, settings, provider)
    first = await service.get_avatar("teacher")

    renewed = await service.get_avatar("teacher", regenerate=True)
    after = await service.get_avatar("teacher")

    assert len(provider.requests) == 2
    assert (renewed.cached, renewed.image_key) == (False, first.image_key)
    assert await blobs.get(first.image_key) == fakes.good_png(hat=True)
    assert after.cached


async def test_a_provider_without_alpha_draws_on_white_and_the_background_is_removed(
    blobs: BlobStore, settings: Settings
) -> None:
    provider = ScriptedProvider([fakes.jpeg(fakes.on_background(fakes.dog(), fakes.white()))])
    result = await make_service(blobs, settings, provider, alpha=False).get_avatar("research")

    [request] = provider.requests
    assert request.background == "opaque"
    assert (
        "Plain solid white background" in request.prompt and "Transparent background." not in request.prompt
    )
    assert (result.needs_review, result.attempts) == (False, 1)
    with Image.open(io.BytesIO(await blobs.get(result.image_key))) as stored:
        assert (stored.format, stored.mode) == ("PNG", "RGBA")
        assert stored.getchannel("A").getpixel((0, 0)) == 0


async def test_a_white_background_is_laid_under_the_transparent_avatar_without_another_request(
    blobs: BlobStore, settings: Settings
) -> None:
    provider = ScriptedProvider([fakes.good_png()])
    service = make_service(blobs, settings, provider)
    transparent = await service.get_avatar("sales")
    on_white = await service.get_avatar("sales", background="white")

    assert len(provider.requests) == 1
    assert on_white.image_key != transparent.image_key
    assert (on_white.background, on_white.needs_review, on_white.cached) == ("white", False, False)
    with Image.open(io.BytesIO(await blobs.get(on_white.image_key))) as stored:
        assert stored.mode == "RGB" and stored.getpixel((0, 0)) == (255, 255, 255)
    assert (await service.get_avatar("sales", background="white")).cached


async def test_a_failed_retry_keeps_the_paid_first_image_for_review(
    blobs: BlobStore, settings: Settings
) -> None:
    provider = ScriptedProvider([fakes.opaque_png(), ProviderUnavailable("rate limited", provider="fake")])
    result = await make_service(blobs, settings, provider).get_avatar("ops")

    assert (result.needs_review, result.attempts, result.failed_checks) == (True, 1, ["transparency"])
    record = DogAvatarRecord.model_validate_json(
        await blobs.get(result.image_key.removesuffix(".png") + ".json")
    )
    assert record.retry_error == "rate limited"


async def test_image_urls_come_from_the_given_url_maker(blobs: BlobStore, settings: Settings) -> None:
    async def url_for(key: str) -> str:
        return f"https://coach.example/images/{key}"

    service = DogAvatarService(
        blobs,
        lambda _name: ScriptedProvider([fakes.good_png()]),
        settings,
        supports_transparency=lambda _name, _model: True,
        url_for=url_for,
    )
    result = await service.get_avatar("data")
    assert result.image_url == f"https://coach.example/images/{result.image_key}"


async def test_a_provider_error_on_the_first_call_reaches_the_caller_and_caches_nothing(
    blobs: BlobStore, settings: Settings
) -> None:
    provider = ScriptedProvider([ProviderUnavailable("no quota", provider="fake"), fakes.good_png()])
    service = make_service(blobs, settings, provider)
    with pytest.raises(ProviderUnavailable):
        await service.get_avatar("hr")
    assert not (await service.get_avatar("hr")).cached


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({"job": "chefs"}, "Did you mean 'chef'"),
        ({"job": "qa", "size": "big"}, "WIDTHxHEIGHT"),
        ({"job": "qa", "size": "64x64"}, "WIDTHxHEIGHT"),
        ({"job": "qa", "background": "green"}, "transparent"),
    ],
)
async def test_bad_arguments_are_refused_before_any_provider_request(
    blobs: BlobStore, settings: Settings, arguments: dict[str, Any], complaint: str
) -> None:
    provider = ScriptedProvider()
    with pytest.raises(InvalidInput, match=complaint):
        await make_service(blobs, settings, provider).get_avatar(**arguments)
    assert provider.requests == []
