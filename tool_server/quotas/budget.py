"""Per-user daily budget in USD, summed from the provider calls recorded in the user's run records.

Checked before every provider call (ProviderRegistry.spend_guard). Reading every run record on
each call would cost O(runs), so the sum is kept per user: recomputed from the records when older
than `refresh_s` (which also picks up other processes' spend) and raised at once by `charge` for
this process's own calls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from storage import Documents
from tool_server.errors import LimitExceeded
from tool_server.runs import RunRecord, RunStore
from tool_server.userdata import keys

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def run_started(run_id: str) -> datetime | None:
    """When a run id was made (ids carry 10 base32 digits of milliseconds after the prefix)."""
    stamp = run_id.removeprefix("run_")[:10]
    try:
        millis = 0
        for char in stamp:
            millis = millis * 32 + _ALPHABET.index(char)
    except ValueError:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC)


class BudgetExceeded(LimitExceeded):
    """The user's provider spend today reached COACH_IMAGE_DAILY_BUDGET_USD."""


class DailyBudget:
    def __init__(
        self,
        runs: RunStore,
        docs: Documents,
        limit_usd: float,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        refresh_s: float = 30.0,
    ) -> None:
        self.runs = runs
        self.docs = docs
        self.limit_usd = limit_usd
        self.refresh_s = refresh_s
        self._now = now
        self._finished: dict[tuple[str, str, date], float] = {}
        # user -> (day, spent, computed at)
        self._ledger: dict[str, tuple[date, float, datetime]] = {}

    async def spent_today(self, user: str) -> float:
        """USD spent on provider calls started today (UTC) in this user's runs."""
        today = self._now().date()
        earliest = datetime.combine(today - timedelta(days=1), datetime.min.time(), UTC)
        total = 0.0
        for run_id in await self.runs.list(user):
            started = run_started(run_id)
            if started is None or started < earliest:
                continue
            cached = self._finished.get((user, run_id, today))
            if cached is not None:
                total += cached
                continue
            record = await self.docs.read(keys.run_record(user, run_id), RunRecord)
            if record is None:
                continue
            cost = sum(
                float(call.get("cost_usd") or 0.0)
                for call in record.calls
                if str(call.get("started_at", ""))[:10] == today.isoformat()
            )
            if record.status != "running":
                self._finished[(user, run_id, today)] = cost
            total += cost
        return round(total, 6)

    async def _spent(self, user: str) -> float:
        now = self._now()
        entry = self._ledger.get(user)
        if entry is None or entry[0] != now.date() or (now - entry[2]).total_seconds() > self.refresh_s:
            entry = (now.date(), await self.spent_today(user), now)
            self._ledger[user] = entry
        return entry[1]

    def charge(self, user: str, cost_usd: float) -> None:
        """Add a provider call's cost made by this process (it reaches the run record soon after)."""
        entry = self._ledger.get(user)
        if entry is not None and cost_usd:
            self._ledger[user] = (entry[0], entry[1] + cost_usd, entry[2])

    async def check(self, user: str) -> None:
        """Raise BudgetExceeded when the user has no budget left today (0 means no limit)."""
        if self.limit_usd <= 0:
            return
        spent = await self._spent(user)
        if spent < self.limit_usd:
            return
        now = self._now()
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        hours = max(1, round((midnight - now).total_seconds() / 3600))
        raise BudgetExceeded(
            f"This user's image budget for today is used up (${spent:.2f} of ${self.limit_usd:.2f}). "
            f"New images can be made again after midnight UTC, in about {hours} h. Tell the user, and "
            "offer the images they already have (list_identities) meanwhile. Nothing was charged."
        )

    async def remaining(self, user: str) -> float | None:
        """USD the user may still spend today; None when there is no limit."""
        if self.limit_usd <= 0:
            return None
        return max(0.0, round(self.limit_usd - await self._spent(user), 6))

    def forget(self, user: str) -> None:
        self._finished = {k: v for k, v in self._finished.items() if k[0] != user}
        self._ledger.pop(user, None)
