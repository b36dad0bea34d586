"""Which provider serves a request, the fallback order, and the process-wide bound on provider calls.

`COACH_IMAGE_PROVIDER=auto` picks OpenAI when its key is set, else Gemini, else the offline provider
(with a loud warning). When the chosen provider is unavailable (down, rate-limited, no key) the next
one of `provider_fallback` that has a key is tried; a content block or a refused parameter is never
retried elsewhere. An account problem (quota, billing, refused key) may move on to another hosted
provider but never to offline: the offline provider makes local development composites, and only
serves as a fallback when the operator lists it. Adapter modules are imported on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from tool_server.errors import (
    InvalidInput,
    ProviderAccountError,
    ProviderError,
    ProviderUnavailable,
    ToolServerError,
)
from tool_server.metrics import observe_provider_calls
from tool_server.providers.base import ImageProvider, ImageRequest, ImageResult, ProviderCall
from tool_server.providers.capabilities import capabilities_for, lookup
from tool_server.providers.pricing import estimate_cost
from tool_server.providers.recording import attach_calls, calls_of
from tool_server.providers.retry import RetryPolicy
from tool_server.redaction import redact, redact_error

if TYPE_CHECKING:
    from tool_server.providers.offline_provider import FaceSwapper
    from tool_server.providers.offline_render import FaceLocator
    from tool_server.settings import Settings

logger = logging.getLogger(__name__)

PROVIDERS = ("openai", "gemini", "offline")


class SpendGuard(Protocol):
    """The per-user daily budget (tool_server.quotas.DailyBudget): a ledger of reservations."""

    async def reserve(self, user: str, estimate_usd: float) -> Any: ...

    async def settle(self, reservation: Any, cost_usd: float) -> None: ...


class ProviderRegistry:
    """Builds providers lazily from settings and shares one concurrency limiter between them."""

    def __init__(
        self,
        settings: Settings,
        *,
        face_swapper: FaceSwapper | None = None,
        face_locator: FaceLocator | None = None,
        retry_policy: RetryPolicy | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._settings = settings
        self._face_swapper = face_swapper
        self._face_locator = face_locator
        self._policy = retry_policy or RetryPolicy.from_settings(settings)
        self._today = today
        self._providers: dict[str, ImageProvider] = {}
        self._warned_offline = False
        # One bound for every vendor call this process makes, whichever provider makes it.
        self.limiter = anyio.CapacityLimiter(settings.provider_max_concurrency)
        # The daily budget: each provider call reserves its estimated cost first, settles after.
        self.spend_guard: SpendGuard | None = None

    def register(self, name: str, provider: ImageProvider) -> None:
        """Add or replace a provider (a new vendor is one module plus this line at startup)."""
        self._providers[name] = provider

    def has_key(self, name: str) -> bool:
        if name == "openai":
            key = self._settings.openai_api_key
        elif name == "gemini":
            key = self._settings.gemini_api_key
        else:
            return name in self._providers or name == "offline"
        return key is not None and bool(key.get_secret_value())

    def available(self) -> list[str]:
        """Providers that can serve now (their key is set; offline always)."""
        names = [*PROVIDERS, *(n for n in self._providers if n not in PROVIDERS)]
        return [name for name in names if self.has_key(name)]

    def resolve(self, name: str | None = None, *, model: str | None = None) -> str:
        """The provider name for a choice; `None`/`auto` follows the model if known, else the auto rule."""
        choice = name or self._settings.provider
        if choice != "auto":
            if choice not in PROVIDERS and choice not in self._providers:
                raise InvalidInput(
                    f"Unknown image provider {choice!r}: choose auto, openai, gemini or offline."
                )
            return choice
        caps = lookup(model) if model else None
        if caps is not None:
            return caps.provider
        if self.has_key("openai"):
            return "openai"
        if self.has_key("gemini"):
            return "gemini"
        if not self._warned_offline:
            self._warned_offline = True
            logger.warning(
                "No OPENAI_API_KEY, GEMINI_API_KEY or GOOGLE_API_KEY is set: images come from the OFFLINE "
                "provider, local composites for development, not AI generations. Set a key for real images."
            )
        return "offline"

    def get(self, name: str | None = None) -> ImageProvider:
        """The provider for `name` (None or "auto" applies the auto rule), built on first use."""
        resolved = self.resolve(name)
        if resolved not in self._providers:
            self._providers[resolved] = self._build(resolved)
        return self._providers[resolved]

    def candidates_for(self, name: str | None = None, *, model: str | None = None) -> list[str]:
        """The chosen provider, then the fallback order restricted to providers with a key."""
        chosen = self.resolve(name, model=model)
        order = [chosen]
        for fallback in self._settings.provider_fallback:
            if fallback not in order and self.has_key(fallback):
                order.append(fallback)
        return order

    async def generate_with_fallback(
        self, request: ImageRequest, provider_name: str | None = None
    ) -> ImageResult:
        """Generate with the chosen provider, moving down the fallback order only when one is unavailable.

        The result (or the raised error, as `error.calls`) carries every provider call made.
        """
        calls: list[ProviderCall] = []
        failures: list[ProviderUnavailable | ProviderAccountError] = []
        for index, name in enumerate(self.candidates_for(provider_name, model=request.model)):
            if index > 0 and name == "offline" and any(isinstance(f, ProviderAccountError) for f in failures):
                break  # an account the operator must fix is never papered over with a local composite
            # A model named for the first provider means nothing to the next ones: they use their default.
            attempt = request if index == 0 else replace(request, model=None)
            try:
                result = await self.paid_call(self.get(name), attempt)
            except (ProviderUnavailable, ProviderAccountError) as error:
                calls.extend(calls_of(error))
                failures.append(error)
                logger.warning("Image provider %s cannot serve (%s); trying the next one", name, error)
                continue
            except ToolServerError as error:
                attach_calls(error, calls, before=True)
                raise
            result.calls = [*calls, *result.calls]
            return result
        raise attach_calls(_final_failure(failures), calls) from (failures[-1] if failures else None)

    def guarded(self, name: str | None = None) -> ImageProvider:
        """The provider for `name`, with this registry's budget check and accounting around each call.

        For callers that pick their provider themselves (dog avatars) instead of using the fallback.
        """
        return _Guarded(self, self.get(name))

    async def paid_call(self, provider: ImageProvider, request: ImageRequest) -> ImageResult:
        """One provider call inside a budget reservation, settled to what its calls really cost."""
        guard = self.spend_guard
        held = await guard.reserve(request.user, self.estimate(provider, request)) if guard else None
        calls: list[ProviderCall] = []
        try:
            result = await provider.generate(request)
            calls = result.calls
            return result
        except ToolServerError as error:
            calls = calls_of(redact_error(error))
            raise
        finally:
            self._observe(calls)
            if guard is not None:
                with anyio.CancelScope(shield=True):
                    await guard.settle(held, sum(call.cost_usd for call in calls))

    def estimate(self, provider: ImageProvider, request: ImageRequest) -> float:
        """An upper bound of the request's cost with `provider` (0 for a model without prices)."""
        try:
            caps = capabilities_for(request.model or provider.default_model(), provider.name)
        except ToolServerError:
            return 0.0  # the provider refuses this model before any paid call
        return estimate_cost(caps.prices, provider.name, request)

    def _observe(self, calls: list[ProviderCall]) -> None:
        """Metrics for calls just made; vendor error texts lose any secret they quote."""
        for call in calls:
            if call.error:
                call.error = redact(call.error)
        observe_provider_calls(calls)

    def _build(self, name: str) -> ImageProvider:
        if name == "openai":
            from tool_server.providers.openai_provider import OpenAIProvider

            return OpenAIProvider(
                self._settings, limiter=self.limiter, retry_policy=self._policy, today=self._today
            )
        if name == "gemini":
            from tool_server.providers.gemini_provider import GeminiProvider

            return GeminiProvider(
                self._settings, limiter=self.limiter, retry_policy=self._policy, today=self._today
            )
        from tool_server.providers.offline_provider import OfflineProvider

        return OfflineProvider(
            face_swapper=self._face_swapper, face_locator=self._face_locator, limiter=self.limiter
        )


def _final_failure(failures: list[ProviderUnavailable | ProviderAccountError]) -> ProviderError:
    """One error naming every provider's failure; an account problem leads: only the operator can fix it."""
    summary = "; ".join(f"{error.provider or 'provider'}: {error}" for error in failures)
    provider = failures[-1].provider if failures else ""
    if any(isinstance(error, ProviderAccountError) for error in failures):
        return ProviderAccountError(
            f"No image could be made: the image provider account needs the server's operator ({summary}). "
            "Tell the user image generation is unavailable for now; do not retry.",
            provider=provider,
        )
    return ProviderUnavailable(
        f"No image provider could serve the request ({summary}). Try again later.", provider=provider
    )


class _Guarded:
    """An ImageProvider whose calls go through the registry's budget and metrics."""

    def __init__(self, registry: ProviderRegistry, provider: ImageProvider) -> None:
        self._registry = registry
        self._provider = provider
        self.name = provider.name

    def default_model(self) -> str:
        return self._provider.default_model()

    async def generate(self, request: ImageRequest) -> ImageResult:
        return await self._registry.paid_call(self._provider, request)
