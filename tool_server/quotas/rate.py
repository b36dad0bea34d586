"""Per-user rate limit: the `limits` library's moving window, on the shared state's storage.

In memory by default (one process, one window); on Redis every instance counts in one window.
"""

from __future__ import annotations

import math
import time
from functools import cached_property
from typing import TYPE_CHECKING

from tool_server.errors import LimitExceeded

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.storage import Storage
    from limits.strategies import MovingWindowRateLimiter


class RateLimited(LimitExceeded):
    """The user sent more requests than COACH_IMAGE_RATE_LIMIT allows."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class UserRateLimiter:
    """`hit(user)` counts one request and raises RateLimited past the limit; "" means no limit."""

    def __init__(self, rate: str, storage: Storage | None = None) -> None:
        self.rate = rate  # syntax checked by Settings
        self._storage = storage  # None: this process's memory

    @cached_property
    def _item(self) -> RateLimitItem | None:
        from limits import parse

        return parse(self.rate) if self.rate else None

    @cached_property
    def _limiter(self) -> MovingWindowRateLimiter:
        # Built on first use: only authenticated HTTP requests are limited (stdio never loads it).
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        return MovingWindowRateLimiter(self._storage or MemoryStorage())

    def hit(self, user: str) -> None:
        if self._item is None:
            return
        if self._limiter.hit(self._item, user):
            return
        reset = self._limiter.get_window_stats(self._item, user).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise RateLimited(
            f"Too many requests for this user (the limit is {self.rate}). Wait {wait} s before the "
            "next call; do not retry in a loop.",
            retry_after_s=wait,
        )

    def forget(self, user: str) -> None:
        """Drop the user's counters (their data was deleted)."""
        if self._item is not None:
            self._limiter.clear(self._item, user)
