"""State the instances of one deployment share: rate limits, the budget ledger, locks.

`open_shared_state(settings)` gives the in-memory implementation (one process, today's
behaviour) or, when COACH_IMAGE_REDIS_URL is set, the Redis one (Valkey works the same), so
every instance behind a balancer sees the same counters. Callers know only `SharedState`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tool_server.shared.base import SharedState
from tool_server.shared.memory import MemoryState

if TYPE_CHECKING:
    from tool_server.settings import Settings

__all__ = ["MemoryState", "SharedState", "open_shared_state"]


def open_shared_state(settings: Settings) -> SharedState:
    """Redis when COACH_IMAGE_REDIS_URL is set (imported only then), else this process's memory."""
    if settings.redis_url is None:
        return MemoryState()
    from tool_server.shared.redis_state import RedisState

    return RedisState(settings.redis_url.get_secret_value())
