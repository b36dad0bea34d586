"""The one interface of shared state; `memory` and `redis_state` implement it."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from limits.storage import Storage


class SharedState(Protocol):
    """Counters and locks that hold for every instance that shares this state.

    The ledger holds one float per key (USD spent and reserved, in the budget's case); each
    key expires `ttl_s` seconds after its last change.
    """

    @property
    def description(self) -> str:
        """For the startup log: where the state lives and what that means for scaling out."""
        ...

    def rate_storage(self) -> Storage | None:
        """Storage for the `limits` package's rate limiters; None: each limiter's own memory."""
        ...

    async def ledger_total(self, key: str) -> float | None:
        """The key's total, None when the key does not exist (never set, or expired)."""
        ...

    async def ledger_seed(self, key: str, value: float, ttl_s: int) -> None:
        """Set the key to `value` unless it exists (a first use that knows an earlier total)."""
        ...

    async def ledger_reserve(
        self, key: str, amount: float, limit: float, ttl_s: int
    ) -> tuple[bool, float] | None:
        """Atomically add `amount` unless the total would pass `limit`: (added, total after).

        None when the key does not exist: seed it (`ledger_seed`), then reserve again.
        """
        ...

    async def ledger_add(self, key: str, delta: float, ttl_s: int) -> float:
        """Add `delta` (negative to give back) and return the new total."""
        ...

    def lock(self, key: str, ttl_s: float) -> AbstractAsyncContextManager[None]:
        """Hold `key` exclusively; waits while another holder has it.

        The lock is renewed while held and lapses `ttl_s` after its holder dies.
        """
        ...

    async def close(self) -> None: ...
