"""Bounded retries of transient provider failures, with jittered backoff that honours retry-after.

The SDKs' own retries are switched off so that this is the one place deciding: a moderation or
safety block and an exhausted quota are never retried; rate limits, 5xx, timeouts, dropped
connections and unreadable responses are, at most `provider_max_retries` times.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from tool_server.errors import ProviderError

if TYPE_CHECKING:
    from tenacity import RetryCallState

    from tool_server.settings import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 8.0
    # A retry-after longer than this is not waited for: the caller hears "try again in N s" instead.
    max_retry_after_s: float = 60.0
    timeout_s: float = 180.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> RetryPolicy:
        values: dict[str, Any] = {
            "attempts": settings.provider_max_retries + 1,
            "timeout_s": settings.provider_timeout_s,
        }
        for name in ("initial_backoff_s", "max_backoff_s", "max_retry_after_s"):
            setting = getattr(settings, f"provider_retry_{name}", None)  # optional future settings
            if isinstance(setting, int | float):
                values[name] = float(setting)
        return cls(**{**values, **overrides})


class Transient(Exception):
    """A failure worth another attempt; `error` is what the caller gets when attempts run out."""

    def __init__(self, error: ProviderError, *, retry_after_s: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after_s = retry_after_s


class Attempts:
    """Counts the attempts of one call, for its `ProviderCall` record."""

    count = 0


def retry_after_from_headers(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(raw) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


async def call_with_retries(op: Callable[[], Awaitable[T]], policy: RetryPolicy, attempts: Attempts) -> T:
    """Run `op`, retrying when it raises `Transient`; raise the last `ProviderError` when attempts run out."""

    def worth_retrying(exc: BaseException) -> bool:
        if not isinstance(exc, Transient):
            return False
        return exc.retry_after_s is None or exc.retry_after_s <= policy.max_retry_after_s

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        ceiling = min(policy.max_backoff_s, policy.initial_backoff_s * 2 ** (state.attempt_number - 1))
        backoff = random.uniform(ceiling / 2, ceiling)
        hinted = exc.retry_after_s if isinstance(exc, Transient) and exc.retry_after_s else 0.0
        delay = max(backoff, hinted)
        logger.info("Provider call failed (%s); retrying in %.2f s", exc, delay)
        return delay

    from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt  # first call, not start-up

    retrying = AsyncRetrying(
        stop=stop_after_attempt(max(1, policy.attempts)),
        wait=wait,
        retry=retry_if_exception(worth_retrying),
        reraise=True,
        sleep=anyio.sleep,
    )
    try:
        async for attempt in retrying:
            with attempt:
                attempts.count += 1
                return await op()
    except Transient as exc:
        error = exc.error
        if exc.retry_after_s and exc.retry_after_s > policy.max_retry_after_s:
            error.args = (
                f"{error} The provider asks to wait {exc.retry_after_s:.0f} s before trying again.",
            )
        raise error from (exc.__cause__ or exc)
    raise AssertionError("unreachable: tenacity either returns or raises")
