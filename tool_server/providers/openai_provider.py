"""OpenAI GPT Image adapter (official `openai` SDK, imported lazily).

With references it calls `images.edit`, every reference an `image[]` part with a file name and MIME
type; without, `images.generate`. `input_fidelity="high"` goes only to models whose capability
entry takes it, `response_format` never (GPT image models answer 400 to it). The vendor sees a
hash of the acting user, never the id itself. The SDK's retries are off: `retry.py` decides.
"""

from __future__ import annotations

import functools
import logging
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from tool_server.errors import ProviderError, ProviderUnavailable
from tool_server.providers.base import GeneratedImage, ImageRequest, ImageResult, ReferenceImage
from tool_server.providers.capabilities import (
    ModelCapabilities,
)
from tool_server.providers.hosted import HostedProvider
from tool_server.providers.images import image_from_base64, prepare_references
from tool_server.providers.openai_errors import classify
from tool_server.providers.pricing import openai_cost
from tool_server.providers.recording import CallRecorder, attach_calls, describe_images, user_hash
from tool_server.providers.retry import Attempts, Transient, call_with_retries

if TYPE_CHECKING:
    from pydantic import SecretStr


logger = logging.getLogger(__name__)


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """One TLS context for every client: loading the CA store holds the GIL for tens of ms.

    Built per call, 32 concurrent generations stalled the event loop for about 0.4 s
    (`python -m benchmarks`, item 3), even from worker threads. An SSLContext is safe to share.
    """
    import httpx2

    return httpx2.create_ssl_context()


@dataclass
class _Answer:
    images: list[GeneratedImage]
    usage: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None


def build_params(caps: ModelCapabilities, model: str, request: ImageRequest, *, edit: bool) -> dict[str, Any]:
    """The SDK keyword arguments for the request, images excluded."""
    params: dict[str, Any] = {
        "model": model,
        "prompt": request.prompt,
        "n": request.n,
        "size": request.size,
        "quality": request.quality,
        "background": request.background,
        "output_format": request.output_format,
        "safety_identifier": user_hash(request.user),
    }
    if edit and caps.input_fidelity:
        params["input_fidelity"] = "high"
    return params


class OpenAIProvider(HostedProvider):
    """GPT Image through the Images API."""

    name = "openai"
    missing_key_message = "No OpenAI API key is configured: set OPENAI_API_KEY, or use another provider."

    def default_model(self) -> str:
        return self._settings.openai_model

    def _api_key(self) -> SecretStr | None:
        return self._settings.openai_api_key

    async def generate(self, request: ImageRequest) -> ImageResult:
        """Make `request.n` images in one Images API call."""
        model, caps, api_key = self._preflight(request)
        refs = prepare_references(request.references)
        params = build_params(caps, model, request, edit=bool(refs))
        operation = "images.edit" if refs else "images.generate"
        recorded = {**params, "image": describe_images(refs)} if refs else dict(params)
        recorder = CallRecorder(self.name, model, operation, recorded)
        attempts = Attempts()
        limiter = self._limiter or anyio.CapacityLimiter(self._settings.provider_max_concurrency)
        try:
            # The SDK import and the client's TLS setup take a while: keep them off the event loop.
            client = await anyio.to_thread.run_sync(self._client, api_key)
            async with client:
                answer = await call_with_retries(
                    lambda: self._attempt(client, limiter, params, refs), self._policy, attempts
                )
        except ProviderError as error:
            call = recorder.failed(error, attempts=attempts.count)
            logger.warning(
                "OpenAI %s with %s failed after %d attempt(s): %s", operation, model, call.attempts, error
            )
            attach_calls(error, [call])
            raise
        cost = openai_cost(caps.prices, answer.usage)
        call = recorder.succeeded(
            usage=answer.usage, cost_usd=cost, request_id=answer.request_id, attempts=attempts.count
        )
        logger.info(
            "OpenAI %s with %s: %d image(s), $%.4f, %.1f s",
            operation,
            model,
            len(answer.images),
            cost,
            call.latency_s,
        )
        return ImageResult(
            images=answer.images,
            provider=self.name,
            model=model,
            usage=answer.usage,
            cost_usd=cost,
            latency_s=call.latency_s,
            request_id=answer.request_id,
            calls=[call],
        )

    def _client(self, api_key: str) -> Any:
        from openai import AsyncOpenAI, DefaultAsyncHttpxClient

        return AsyncOpenAI(
            api_key=api_key,
            base_url=self._settings.openai_base_url or None,
            max_retries=0,
            timeout=self._policy.timeout_s,
            http_client=DefaultAsyncHttpxClient(verify=shared_tls_context()),
        )

    async def _attempt(
        self,
        client: Any,
        limiter: anyio.CapacityLimiter,
        params: dict[str, Any],
        refs: tuple[ReferenceImage, ...],
    ) -> _Answer:
        import openai

        async with limiter:
            try:
                # The SDK's own timeout covers each network phase; this bounds the whole call.
                with anyio.fail_after(self._policy.timeout_s + 5):
                    if refs:
                        files = [(ref.name, ref.data, ref.mime_type) for ref in refs]
                        response = await client.images.edit(image=files, **params)
                    else:
                        response = await client.images.generate(**params)
            except TimeoutError as exc:
                raise Transient(
                    ProviderUnavailable(
                        f"OpenAI did not answer within {self._policy.timeout_s:.0f} s: try again later.",
                        provider=self.name,
                        retryable=True,
                    )
                ) from exc
            except Exception as exc:
                raise classify(openai, exc, timeout_s=self._policy.timeout_s) from exc
        # Decoding the images to check them is CPU work: off the event loop.
        return await anyio.to_thread.run_sync(self._read, response)

    def _read(self, response: Any) -> _Answer:
        try:
            images = [image_from_base64(item.b64_json or "") for item in response.data or []]
        except ValueError as exc:
            raise Transient(
                ProviderUnavailable(
                    f"OpenAI sent an unreadable image ({exc}): try again later.",
                    provider=self.name,
                    retryable=True,
                )
            ) from exc
        if not images:
            raise Transient(
                ProviderUnavailable(
                    "OpenAI answered without images: try again later.", provider=self.name, retryable=True
                )
            )
        usage = response.usage.model_dump(mode="json", exclude_none=True) if response.usage else {}
        return _Answer(images=images, usage=usage, request_id=getattr(response, "_request_id", None))
