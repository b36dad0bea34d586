"""Gemini image adapter (official `google-genai` SDK, imported lazily, async client).

Reference images go BEFORE the text, each re-sent as `Part.from_bytes` with its sniffed MIME type.
Gemini makes one candidate per call, so n images are n concurrent calls. Thought images come back
as interim images; the final image is the last image part that is not a thought. Gemini cannot make
a transparent background or choose the output format: the first is refused before any request,
the second is not sent (images come back as the model encodes them, MIME type sniffed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from tool_server.errors import ProviderError, ProviderUnavailable
from tool_server.providers.base import ImageRequest, ImageResult, ProviderCall
from tool_server.providers.capabilities import (
    ModelCapabilities,
)
from tool_server.providers.gemini_support import GeminiAnswer, classify, image_config_for, read_response
from tool_server.providers.hosted import HostedProvider
from tool_server.providers.images import prepare_references
from tool_server.providers.pricing import add_usage, gemini_cost
from tool_server.providers.recording import CallRecorder, attach_calls, describe_images
from tool_server.providers.retry import Attempts, Transient, call_with_retries

if TYPE_CHECKING:
    from pydantic import SecretStr


logger = logging.getLogger(__name__)


@dataclass
class _Job:
    """What each of the n concurrent calls shares."""

    client: Any
    limiter: anyio.CapacityLimiter
    caps: ModelCapabilities
    model: str
    contents: list[Any]
    config: Any
    params: dict[str, Any]
    outcomes: list[GeminiAnswer | ProviderError] = field(default_factory=list)
    calls: list[ProviderCall] = field(default_factory=list)


# Which failure to report when every one of n calls failed: a block must win (never fall back after it).
_SEVERITY = ("ProviderBlocked", "ProviderRejected", "ProviderError", "ProviderUnavailable")


class GeminiProvider(HostedProvider):
    """Gemini image models through generateContent."""

    name = "gemini"
    missing_key_message = (
        "No Gemini API key is configured: set GEMINI_API_KEY or GOOGLE_API_KEY, or use another provider."
    )

    def default_model(self) -> str:
        return self._settings.gemini_model

    def _api_key(self) -> SecretStr | None:
        return self._settings.gemini_api_key

    async def generate(self, request: ImageRequest) -> ImageResult:
        """Make `request.n` images with `request.n` concurrent calls."""
        model, caps, api_key = self._preflight(request)
        # Continuing a conversation: the earlier turns already hold the references and the image.
        refs = () if request.history else prepare_references(request.references)
        image_config = image_config_for(caps, request.size)
        params: dict[str, Any] = {
            "model": model,
            "prompt": request.prompt,
            "parts": [*describe_images(refs), {"text_chars": len(request.prompt)}],
            "history_turns": len(request.history),
            "response_modalities": ["TEXT", "IMAGE"],
            "image_config": image_config,
            "include_thoughts": caps.thinking,
        }
        # The SDK import and the client's TLS setup take a while: keep them off the event loop.
        client = await anyio.to_thread.run_sync(self._client, api_key)
        from google.genai import types

        contents = [
            *(types.Content.model_validate(turn) for turn in request.history),
            types.Content(
                role="user",
                parts=[
                    *(types.Part.from_bytes(data=r.data, mime_type=r.mime_type) for r in refs),
                    types.Part.from_text(text=request.prompt),
                ],
            ),
        ]
        config = _config(types, caps, image_config)
        limiter = self._limiter or anyio.CapacityLimiter(self._settings.provider_max_concurrency)
        job = _Job(client, limiter, caps, model, contents, config, params)
        try:
            async with anyio.create_task_group() as group:
                for _ in range(request.n):
                    group.start_soon(self._one, job)
        finally:
            client.close()
            await client.aio.aclose()
        user_turn = contents[-1].model_dump(mode="json", exclude_none=True)
        return self._result(job, request.n, [*request.history, user_turn])

    def _client(self, api_key: str) -> Any:
        from google import genai
        from google.genai import types

        return genai.Client(
            api_key=api_key,
            http_options=types.HttpOptions(
                base_url=self._settings.gemini_base_url or None,
                api_version="v1beta",
                timeout=int(self._policy.timeout_s * 1000),
            ),
        )

    async def _one(self, job: _Job) -> None:
        import httpx2
        from google.genai import errors

        recorder = CallRecorder(self.name, job.model, "generate_content", job.params)
        attempts = Attempts()

        async def attempt() -> GeminiAnswer:
            async with job.limiter:
                try:
                    with anyio.fail_after(self._policy.timeout_s + 5):
                        response = await job.client.aio.models.generate_content(
                            model=job.model, contents=job.contents, config=job.config
                        )
                except TimeoutError as exc:
                    raise Transient(
                        ProviderUnavailable(
                            f"Gemini did not answer within {self._policy.timeout_s:.0f} s: try again later.",
                            provider=self.name,
                            retryable=True,
                        )
                    ) from exc
                except Exception as exc:
                    raise classify(errors, httpx2, exc, timeout_s=self._policy.timeout_s) from exc
            # Decoding the images to check them is CPU work: off the event loop.
            return await anyio.to_thread.run_sync(read_response, response)

        try:
            answer = await call_with_retries(attempt, self._policy, attempts)
        except ProviderError as error:
            job.calls.append(recorder.failed(error, attempts=attempts.count))
            logger.warning(
                "Gemini call with %s failed after %d attempt(s): %s", job.model, attempts.count, error
            )
            job.outcomes.append(error)
            return
        cost = gemini_cost(job.caps.prices, answer.usage)
        job.calls.append(
            recorder.succeeded(
                usage=answer.usage, cost_usd=cost, request_id=answer.request_id, attempts=attempts.count
            )
        )
        job.outcomes.append(answer)

    def _result(self, job: _Job, n: int, sent: list[dict[str, Any]]) -> ImageResult:
        model, calls = job.model, job.calls
        answers = [o for o in job.outcomes if isinstance(o, GeminiAnswer)]
        failures = [o for o in job.outcomes if isinstance(o, ProviderError)]
        if not answers:
            failures.sort(
                key=lambda e: _SEVERITY.index(type(e).__name__) if type(e).__name__ in _SEVERITY else 2
            )
            raise attach_calls(failures[0], calls)
        if failures:
            logger.warning(
                "%d of %d Gemini calls failed; returning %d image(s)", len(failures), n, len(answers)
            )
        usage: dict[str, Any] = {}
        for answer in answers:
            add_usage(usage, answer.usage)
        cost = round(sum(call.cost_usd for call in calls), 6)
        latency = max(call.latency_s for call in calls)
        logger.info("Gemini %s: %d image(s), $%.4f, %.1f s", model, len(answers), cost, latency)
        return ImageResult(
            images=[a.final for a in answers],
            provider=self.name,
            model=model,
            interim=[image for a in answers for image in a.interim],
            usage=usage,
            cost_usd=cost,
            latency_s=latency,
            request_id=answers[0].request_id,
            calls=calls,
            turns=[[*sent, a.model_turn] for a in answers if a.model_turn is not None],
        )


def _config(types: Any, caps: ModelCapabilities, image_config: dict[str, str]) -> Any:
    values: dict[str, Any] = {"response_modalities": ["TEXT", "IMAGE"]}
    if image_config:
        values["image_config"] = types.ImageConfig(**image_config)
    if caps.thinking and "thinking_config" in types.GenerateContentConfig.model_fields:
        values["thinking_config"] = types.ThinkingConfig(include_thoughts=True)
    return types.GenerateContentConfig(**values)
