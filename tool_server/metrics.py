"""Prometheus metrics (prometheus-client), served at `/metrics` on the HTTP transport.

Counters end in `_total` on the wire (prometheus-client adds it): `coach_tool_calls_total`,
`coach_tool_errors_total`, `coach_provider_cost_usd_total`, `coach_likeness_checks_total`,
`dog_cache_hits_total`, `dog_cache_misses_total`; histogram `coach_provider_latency_seconds`.
No label carries a user id or any other personal value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

if TYPE_CHECKING:  # providers import this module: no runtime import back
    from tool_server.providers.base import ProviderCall


TOOL_CALLS = Counter("coach_tool_calls", "Tool calls, by tool.", ["tool"])
TOOL_ERRORS = Counter(
    "coach_tool_errors", "Tool calls that ended in an error, by tool and kind.", ["tool", "kind"]
)
PROVIDER_LATENCY = Histogram(
    "coach_provider_latency_seconds",
    "Latency of one provider call (all its retries), by provider and outcome.",
    ["provider", "operation", "outcome"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 240),
)
PROVIDER_COST = Counter("coach_provider_cost_usd", "Provider spend in USD, by provider.", ["provider"])
LIKENESS_CHECKS = Counter(
    "coach_likeness_checks", "Likeness checks of generated images, by result (passed/failed).", ["result"]
)
# The dog-avatar service calls these on a cache lookup (one of the two per lookup).
DOG_CACHE_HITS = Counter("dog_cache_hits", "Dog avatar requests served from the cache.")
DOG_CACHE_MISSES = Counter("dog_cache_misses", "Dog avatar requests that had to generate.")


def observe_provider_calls(calls: Iterable[ProviderCall]) -> None:
    """Record latency, outcome and cost of provider calls (from a result or a raised error)."""
    for call in calls:
        outcome = "ok" if call.error_kind is None else call.error_kind
        PROVIDER_LATENCY.labels(call.provider, call.operation, outcome).observe(call.latency_s)
        if call.cost_usd:
            PROVIDER_COST.labels(call.provider).inc(call.cost_usd)


def observe_likeness(passed: bool) -> None:
    LIKENESS_CHECKS.labels("passed" if passed else "failed").inc()


def exposition() -> tuple[bytes, str]:
    """The text exposition format of every metric of this process, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
