"""Per-user daily budget in USD: a ledger of reservations on the shared state.

Before each paid provider call its estimated cost is reserved, atomically, against the user's
budget for the UTC day; the call settles the reservation to its real cost (nothing, when it
failed before any charge). So parallel calls, on one instance or many, cannot spend past the
budget. The ledger is accounting, not user data: keyed by a hash of the user, kept two days,
not reset by delete_my_data. Its first use in a day (per ledger) starts from the run records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from storage import Documents
from tool_server.errors import LimitExceeded
from tool_server.runs import RunRecord, RunStore
from tool_server.shared import SharedState
from tool_server.userdata import keys

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LEDGER_TTL_S = 2 * 24 * 3600


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


def ledger_key(user: str, day: date) -> str:
    """The ledger entry of a user's day: a hash, so the ledger names nobody."""
    digest = hashlib.sha256(f"coach-image-budget:{user}".encode()).hexdigest()[:32]
    return f"budget:{digest}:{day.isoformat()}"


class BudgetExceeded(LimitExceeded):
    """The user's provider spend today reached COACH_IMAGE_DAILY_BUDGET_USD."""


@dataclass(frozen=True)
class Reservation:
    key: str | None  # None: no limit, nothing reserved
    amount: float


class DailyBudget:
    def __init__(
        self,
        runs: RunStore,
        docs: Documents,
        limit_usd: float,
        state: SharedState,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.runs = runs
        self.docs = docs
        self.limit_usd = limit_usd
        self.state = state
        self._now = now

    async def spent_today(self, user: str) -> float:
        """USD of provider calls started today (UTC) in this user's run records."""
        today = self._now().date()
        earliest = datetime.combine(today - timedelta(days=1), datetime.min.time(), UTC)
        total = 0.0
        for run_id in await self.runs.list(user):
            started = run_started(run_id)
            if started is None or started < earliest:
                continue
            record = await self.docs.read(keys.run_record(user, run_id), RunRecord)
            if record is None:
                continue
            total += sum(
                float(call.get("cost_usd") or 0.0)
                for call in record.calls
                if str(call.get("started_at", ""))[:10] == today.isoformat()
            )
        return round(total, 6)

    async def spent(self, user: str) -> float:
        """Today's ledger total: settled spend plus what calls in flight reserved."""
        return await self.state.ledger_total(ledger_key(user, self._now().date())) or 0.0

    async def reserve(self, user: str, estimate_usd: float) -> Reservation:
        """Reserve a call's estimated cost; raise BudgetExceeded when it does not fit (0 means no limit)."""
        if self.limit_usd <= 0:
            return Reservation(None, 0.0)
        key = ledger_key(user, self._now().date())
        reserved = await self.state.ledger_reserve(key, estimate_usd, self.limit_usd, LEDGER_TTL_S)
        if reserved is None:  # the day's first call: start from what the run records hold
            await self.state.ledger_seed(key, await self.spent_today(user), LEDGER_TTL_S)
            reserved = await self.state.ledger_reserve(key, estimate_usd, self.limit_usd, LEDGER_TTL_S)
        added, total = reserved or (False, self.limit_usd)
        if added:
            return Reservation(key, estimate_usd)
        raise BudgetExceeded(self._refusal(total, estimate_usd))

    async def settle(self, reservation: Reservation, cost_usd: float) -> None:
        """Replace a reservation by the real cost of the calls made (0 when none was charged)."""
        if reservation.key is not None and round(cost_usd - reservation.amount, 6):
            await self.state.ledger_add(reservation.key, cost_usd - reservation.amount, LEDGER_TTL_S)

    def _refusal(self, total: float, estimate_usd: float) -> str:
        now = self._now()
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        hours = max(1, round((midnight - now).total_seconds() / 3600))
        if total >= self.limit_usd:
            used = f"is used up (${total:.2f} of ${self.limit_usd:.2f})"
        else:
            used = (
                f"has ${self.limit_usd - total:.2f} of ${self.limit_usd:.2f} left, less than this image "
                f"may cost (${estimate_usd:.2f}; images being made count until they finish)"
            )
        return (
            f"This user's image budget for today {used}. New images can be made again after midnight "
            f"UTC, in about {hours} h. Tell the user, and offer the images they already have "
            "(list_identities) meanwhile. Nothing was charged."
        )

    async def remaining(self, user: str) -> float | None:
        """USD the user may still spend today (less what calls in flight reserved); None: no limit."""
        if self.limit_usd <= 0:
            return None
        total = await self.state.ledger_total(ledger_key(user, self._now().date()))
        if total is None:
            total = await self.spent_today(user)
        return max(0.0, round(self.limit_usd - total, 6))
