"""What the hosted adapters share: construction and the checks made before any vendor request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import anyio

from tool_server.errors import ProviderUnavailable
from tool_server.providers.base import ImageRequest
from tool_server.providers.capabilities import (
    ModelCapabilities,
    capabilities_for,
    check_request,
    ensure_usable,
)
from tool_server.providers.retry import RetryPolicy

if TYPE_CHECKING:
    from pydantic import SecretStr

    from tool_server.settings import Settings


class HostedProvider:
    """Base of the vendor adapters; subclasses name their key, default model and missing-key message."""

    name = "hosted"
    missing_key_message = "No API key is configured for this provider."

    def __init__(
        self,
        settings: Settings,
        *,
        limiter: anyio.CapacityLimiter | None = None,
        retry_policy: RetryPolicy | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._settings = settings
        self._limiter = limiter
        self._policy = retry_policy or RetryPolicy.from_settings(settings)
        self._today = today

    def default_model(self) -> str:
        raise NotImplementedError

    def _api_key(self) -> SecretStr | None:
        raise NotImplementedError

    def _preflight(self, request: ImageRequest) -> tuple[str, ModelCapabilities, str]:
        """The model, its capabilities and the API key; refuses the request before any network call."""
        model = request.model or self.default_model()
        caps = capabilities_for(model, self.name)
        ensure_usable(caps, today=self._today())
        check_request(caps, request)
        key = self._api_key()
        if key is None or not key.get_secret_value():
            raise ProviderUnavailable(self.missing_key_message, provider=self.name)
        return model, caps, key.get_secret_value()
