"""Dog avatars: the canonical dog edited to wear a job's accessory, cached, validated, retried once.

A cache hit costs one small read. A miss makes one provider call per set of identical concurrent
requests (single flight): an edit of the base image with the job's prompt, validated; a failed
validation retries once with the seed's stronger "ABSOLUTELY NO LIMBS" prompt; a second failure is
stored and returned with `needs_review` and the failed checks named. A provider without alpha
(its capability says so) is asked for a plain white background, removed here before validation.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, cast, get_args

import anyio.to_thread
from PIL import Image

from storage import BlobStore
from tool_server import metrics
from tool_server.dogs.base_image import base_image_hash, load_base_image
from tool_server.dogs.cache import AvatarBackground, DogAvatarRecord, DogCacheKey, read_record, write_avatar
from tool_server.dogs.checks import ValidationReport
from tool_server.dogs.jobs import resolve_job
from tool_server.dogs.results import DogAvatarResult
from tool_server.dogs.singleflight import SingleFlight
from tool_server.errors import InvalidInput, ProviderError, ToolServerError
from tool_server.mime import sniff_mime
from tool_server.prompts.dog import PROMPT_VERSION, build_dog_prompt
from tool_server.providers.base import ImageProvider, ImageRequest, ImageResult, Quality, ReferenceImage
from tool_server.providers.capabilities import capabilities_for
from tool_server.providers.recording import calls_of
from tool_server.settings import Settings

logger = logging.getLogger(__name__)

RunLog = Callable[
    [str, DogCacheKey, list[dict[str, Any]], list[bytes], DogAvatarRecord | None, ToolServerError | None],
    Awaitable[None],
]
"""(user, key, provider calls, each attempt's image, the stored record or None, the error or None)."""
ProviderGetter = Callable[[str | None], ImageProvider]
TransparencyCheck = Callable[[str, str], bool]  # (provider name, model) -> can return alpha
UrlMaker = Callable[[str], Awaitable[str]]

BASE_IMAGE_NAME = "dog_base.png"
_SIZE = re.compile(r"(\d{2,4})x(\d{2,4})")
MIN_SIDE, MAX_SIDE = 256, 3840


@dataclass(frozen=True)
class _Candidate:
    png: bytes
    report: ValidationReport
    prompt: str
    result: ImageResult


@dataclass(frozen=True)
class _Outcome:
    record: DogAvatarRecord
    cached: bool
    cost_usd: float


class DogAvatarService:
    """Makes and caches dog avatars. One instance per server; safe for concurrent use."""

    def __init__(
        self,
        blobs: BlobStore,
        provider_getter: ProviderGetter,
        settings: Settings,
        *,
        supports_transparency: TransparencyCheck,
        quality: Quality = "medium",
        url_for: UrlMaker | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        run_log: RunLog | None = None,
    ) -> None:
        """`url_for(image_key)` makes `image_url` (default: the blob store's URL, e.g. presigned S3).

        `run_log` writes a run record for every generation that reached a provider, in the
        requesting user's runs (what they spent, what was sent, each attempt's image).
        """
        self._run_log = run_log
        self._blobs = blobs
        self._provider_getter = provider_getter
        self._settings = settings
        self._supports_transparency = supports_transparency
        self._quality: Quality = quality
        self._url_for = url_for or (lambda key: blobs.url(key, settings.url_expiry_s))
        self._clock = clock
        self._flights: SingleFlight[tuple[str, bool], _Outcome] = SingleFlight()

    async def get_avatar(
        self,
        job: str,
        size: str = "1024x1024",
        background: str = "transparent",
        regenerate: bool = False,
        provider: str | None = None,
        *,
        user: str | None = None,
    ) -> DogAvatarResult:
        """The avatar for `job`: from the cache, or made now (`regenerate=True` replaces the cached one).

        Raises InvalidInput for an unknown job, size or background (before any provider call) and
        the provider's ProviderError when the first call fails.
        """
        name = resolve_job(job).name
        _check_size(size)
        fill = _check_background(background)
        adapter = self._provider_getter(provider)
        outcome = await self._outcome(name, size, fill, regenerate, adapter, user or self._settings.user)
        record = outcome.record
        return DogAvatarResult(
            job=record.job,
            size=record.size,
            background=record.background,
            image_url=await self._url_for(record.image_key),
            cached=outcome.cached,
            prompt_version=record.prompt_version,
            model=record.model,
            needs_review=record.needs_review,
            validation=record.validation,
            failed_checks=record.failed_checks,
            cost_usd=outcome.cost_usd,
            provider=record.provider,
            image_key=record.image_key,
            attempts=record.attempts,
        )

    async def peek(
        self, job: str, size: str = "1024x1024", background: AvatarBackground = "transparent"
    ) -> DogAvatarRecord | None:
        """The cached avatar of `job` for the default provider, or None; never makes one."""
        base_hash = await anyio.to_thread.run_sync(base_image_hash, self._settings)
        model = self._provider_getter(None).default_model()
        return await read_record(
            self._blobs, DogCacheKey(PROMPT_VERSION, model, job, size, background, base_hash)
        )

    async def _outcome(
        self,
        job: str,
        size: str,
        background: AvatarBackground,
        regenerate: bool,
        adapter: ImageProvider,
        user: str,
    ) -> _Outcome:
        base_hash = await anyio.to_thread.run_sync(base_image_hash, self._settings)
        key = DogCacheKey(PROMPT_VERSION, adapter.default_model(), job, size, background, base_hash)
        if not regenerate and (record := await read_record(self._blobs, key)) is not None:
            metrics.count_dog_cache(hit=True)
            return _Outcome(record, cached=True, cost_usd=0.0)
        metrics.count_dog_cache(hit=False)

        async def make() -> _Outcome:
            # Read again: a flight for this key may have ended between the read above and now.
            if not regenerate and (record := await read_record(self._blobs, key)) is not None:
                return _Outcome(record, cached=True, cost_usd=0.0)
            if background == "white":
                return await self._make_white(key, regenerate, adapter, user)
            return await self._generate(key, adapter, user)

        return await self._flights.do((key.stem, regenerate), make)

    async def _make_white(
        self, key: DogCacheKey, regenerate: bool, adapter: ImageProvider, user: str
    ) -> _Outcome:
        """The transparent avatar (cached or made) laid on white: no second provider call."""
        source = await self._outcome(key.job, key.size, "transparent", regenerate, adapter, user)
        png = await anyio.to_thread.run_sync(_on_white, await self._blobs.get(source.record.image_key))
        record = source.record.model_copy(update={"background": "white", "image_key": key.image_key})
        await write_avatar(self._blobs, key, png, record)
        return _Outcome(record, cached=False, cost_usd=source.cost_usd)

    def _request(self, key: DogCacheKey, base: bytes, user: str, *, retry: bool, alpha: bool) -> ImageRequest:
        """An edit of the base image; without alpha from the provider, on white (removed afterwards)."""
        return ImageRequest(
            prompt=build_dog_prompt(key.job, retry=retry, white_background=not alpha),
            user=user,
            references=(ReferenceImage(base, "image/png", BASE_IMAGE_NAME),),
            size=key.size,
            quality=self._quality,
            background="transparent" if alpha else "opaque",
            output_format="png",
            model=key.model,
            task="dog_avatar",
        )

    async def _generate(self, key: DogCacheKey, adapter: ImageProvider, user: str) -> _Outcome:
        made: list[ImageResult] = []
        try:
            outcome = await self._attempts(key, adapter, user, made)
        except ToolServerError as error:
            if self._run_log is not None and (made or calls_of(error)):
                calls = [asdict(c) for r in made for c in r.calls] + [asdict(c) for c in calls_of(error)]
                await self._run_log(user, key, calls, [], None, error)
            raise
        if self._run_log is not None:
            images = [image for r in made for image in (r.images[:1] or [])]
            await self._run_log(
                user, key, outcome.record.calls, [i.data for i in images], outcome.record, None
            )
        return outcome

    async def _attempts(
        self, key: DogCacheKey, adapter: ImageProvider, user: str, results: list[ImageResult]
    ) -> _Outcome:
        base = await anyio.to_thread.run_sync(load_base_image, self._settings)
        alpha = self._supports_transparency(adapter.name, key.model)
        candidates: list[_Candidate] = []
        retry_error: str | None = None
        for retry in (False, True):
            request = self._request(key, base, user, retry=retry, alpha=alpha)
            try:
                result = await adapter.generate(request)
                image = _first_image(result, adapter.name)
            except ToolServerError as exc:  # provider failure, or the budget refusing the retry
                if not candidates:
                    raise
                # The first image was paid for: keep it for review rather than fail the call.
                retry_error = str(exc)
                logger.warning("dog avatar %s: the retry failed (%s); keeping the first image", key.stem, exc)
                break
            results.append(result)
            prepared = await anyio.to_thread.run_sync(_prepare, image, alpha)
            if prepared is not None:
                candidates.append(_Candidate(*prepared, prompt=request.prompt, result=result))
                if prepared[1].passed:
                    break
            logger.info("dog avatar %s: attempt %d failed validation", key.stem, len(results))
        if not candidates:
            raise ProviderError(
                f"{adapter.name} returned unreadable images twice. Try again later or use another provider.",
                provider=adapter.name,
            )
        chosen = min(reversed(candidates), key=lambda c: len(c.report.failed))  # ties: the later one
        cost = round(sum(r.cost_usd for r in results), 6)
        record = DogAvatarRecord(
            job=key.job,
            size=key.size,
            background=key.background,
            prompt_version=key.prompt_version,
            model=chosen.result.model or key.model,
            provider=chosen.result.provider or adapter.name,
            base_hash=key.base_hash,
            image_key=key.image_key,
            prompt=chosen.prompt,
            attempts=len(results),
            needs_review=not chosen.report.passed,
            validation=list(chosen.report.checks),
            cost_usd=cost,
            created_at=self._clock().isoformat(),
            calls=[asdict(call) for r in results for call in r.calls],
            retry_error=retry_error,
        )
        if record.needs_review:
            logger.warning("dog avatar %s needs review: %s failed", key.stem, ", ".join(record.failed_checks))
        await write_avatar(self._blobs, key, chosen.png, record)
        return _Outcome(record, cached=False, cost_usd=cost)


def alpha_from_capabilities(provider: str, model: str) -> bool:
    """Whether the model can return a transparent background (else: white, removed locally)."""
    return capabilities_for(model, provider).transparent != "no"


def _first_image(result: ImageResult, provider: str) -> bytes:
    if not result.images:
        raise ProviderError(
            f"{provider} returned no image. Try again or use another provider.", provider=provider
        )
    return result.images[0].data


def _prepare(data: bytes, has_alpha_output: bool) -> tuple[bytes, ValidationReport] | None:
    """Decode, remove a white background if the provider has no alpha, validate; None if unreadable.

    Returns the PNG to store (the provider's own bytes when they already are a PNG) and the report.
    """
    # numpy loads here, on first use, not when the server starts (cold start: `python -m benchmarks`).
    from tool_server.dogs.background_removal import remove_white_background
    from tool_server.dogs.validation import decode_rgba, encode_png, validate_pixels

    try:
        decoded = decode_rgba(data)
    except ValueError as exc:
        logger.warning("dog avatar: the provider's image cannot be decoded: %s", exc)
        return None
    pixels, has_alpha = decoded.pixels, decoded.has_alpha
    if not has_alpha_output:
        pixels, has_alpha = remove_white_background(pixels), True
    report = validate_pixels(pixels, has_alpha=has_alpha)
    if has_alpha_output and sniff_mime(data) == "image/png":
        return data, report
    return encode_png(pixels), report


def _on_white(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        rgba = image.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, "white")
    canvas.alpha_composite(rgba)
    buffer = io.BytesIO()
    canvas.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def _check_size(size: str) -> None:
    match = _SIZE.fullmatch(size)
    if not match or not all(MIN_SIDE <= int(side) <= MAX_SIDE for side in match.groups()):
        raise InvalidInput(
            f"size {size!r} is not usable: give WIDTHxHEIGHT in pixels, each side {MIN_SIDE}-{MAX_SIDE}, "
            "for example '1024x1024'."
        )


def _check_background(background: str) -> AvatarBackground:
    if background not in get_args(AvatarBackground):
        raise InvalidInput(
            f"background {background!r} is not offered: use 'transparent' (default) or 'white'."
        )
    return cast(AvatarBackground, background)
