"""Recording of provider calls for run records: parameters (never image bytes), latency, usage, cost, error.

A failed call travels on the raised `ProviderError` as `error.calls` (see `calls_of`), a successful
one on `ImageResult.calls`, so callers always get every call that was made.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from tool_server.providers.base import ProviderCall, ReferenceImage

E = TypeVar("E", bound=BaseException)

_USER_HASH_NAMESPACE = b"coach-image-tools/user/"


def user_hash(user: str) -> str:
    """A stable, non-reversible id for the acting user (`u_` + 16 hex), sent to vendors for abuse tracking."""
    return "u_" + hashlib.sha256(_USER_HASH_NAMESPACE + user.encode("utf-8")).hexdigest()[:16]


def describe_images(images: Iterable[ReferenceImage]) -> list[dict[str, Any]]:
    """What was sent in place of image bytes: name, MIME type, size and a short digest."""
    return [
        {
            "name": image.name,
            "mime_type": image.mime_type,
            "bytes": len(image.data),
            "sha256": hashlib.sha256(image.data).hexdigest()[:16],
        }
        for image in images
    ]


def calls_of(error: BaseException) -> list[ProviderCall]:
    """The provider calls a failed generation made (empty when it was refused before any request)."""
    calls = getattr(error, "calls", None)
    return list(calls) if isinstance(calls, list) else []


def attach_calls(error: E, calls: Sequence[ProviderCall], *, before: bool = False) -> E:
    """Add `calls` to those the error carries (after them, or before them with `before=True`)."""
    carried = calls_of(error)
    error.calls = [*calls, *carried] if before else [*carried, *calls]  # type: ignore[attr-defined]
    return error


class CallRecorder:
    """Times one provider call and turns its outcome into a `ProviderCall`."""

    def __init__(self, provider: str, model: str, operation: str, params: dict[str, Any]) -> None:
        self._started = time.monotonic()
        self.call = ProviderCall(
            provider=provider,
            model=model,
            operation=operation,
            params=params,
            started_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
        )

    def succeeded(
        self,
        *,
        usage: dict[str, Any],
        cost_usd: float,
        request_id: str | None,
        attempts: int,
    ) -> ProviderCall:
        self.call.latency_s = round(time.monotonic() - self._started, 3)
        self.call.usage = usage
        self.call.cost_usd = cost_usd
        self.call.request_id = request_id
        self.call.attempts = attempts
        return self.call

    def failed(self, error: BaseException, *, attempts: int) -> ProviderCall:
        self.call.latency_s = round(time.monotonic() - self._started, 3)
        self.call.error = str(error)
        self.call.error_kind = type(error).__name__
        self.call.attempts = attempts
        return self.call
