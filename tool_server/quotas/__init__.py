"""Per-user quotas: a rate limit on requests and a daily budget on provider spend."""

from tool_server.quotas.budget import DailyBudget
from tool_server.quotas.rate import UserRateLimiter

__all__ = ["DailyBudget", "UserRateLimiter"]
