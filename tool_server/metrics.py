"""Prometheus metrics (prometheus-client), served at `/metrics` on the HTTP transport.

Counters end in `_total` on the wire (prometheus-client adds it): `coach_tool_calls_total`,
`coach_tool_errors_total`, `coach_provider_cost_usd_total`, `coach_likeness_checks_total`,
`dog_cache_hits_total`, `dog_cache_misses_total`; histogram `coach_provider_latency_seconds`.
No label carries a user id or any other personal value.

The instruments are made on first use, so starting a stdio server does not load prometheus-client
(cold start: `python -m benchmarks`, item 1); they live in its default registry from then on.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # providers import this module: no runtime import back
    from tool_server.providers.base import ProviderCall


@dataclass(frozen=True)
class _Instruments:
    tool_calls: Any
    tool_errors: Any
    provider_latency: Any
    provider_cost: Any
    likeness_checks: Any
    dog_cache_hits: Any
    dog_cache_misses: Any


@functools.cache
def _instruments() -> _Instruments:
    from prometheus_client import Counter, Histogram

    return _Instruments(
        tool_calls=Counter("coach_tool_calls", "Tool calls, by tool.", ["tool"]),
        tool_errors=Counter(
            "coach_tool_errors", "Tool calls that ended in an error, by tool and kind.", ["tool", "kind"]
        ),
        provider_latency=Histogram(
            "coach_provider_latency_seconds",
            "Latency of one provider call (all its retries), by provider and outcome.",
            ["provider", "operation", "outcome"],
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 240),
        ),
        provider_cost=Counter("coach_provider_cost_usd", "Provider spend in USD, by provider.", ["provider"]),
        likeness_checks=Counter(
            "coach_likeness_checks",
            "Likeness checks of generated images, by result (passed/failed).",
            ["result"],
        ),
        dog_cache_hits=Counter("dog_cache_hits", "Dog avatar requests served from the cache."),
        dog_cache_misses=Counter("dog_cache_misses", "Dog avatar requests that had to generate."),
    )


def count_tool_call(tool: str) -> None:
    _instruments().tool_calls.labels(tool).inc()


def count_tool_error(tool: str, kind: str) -> None:
    _instruments().tool_errors.labels(tool, kind).inc()


def count_dog_cache(hit: bool) -> None:
    """One dog-avatar cache lookup: served from the cache, or had to generate."""
    instruments = _instruments()
    (instruments.dog_cache_hits if hit else instruments.dog_cache_misses).inc()


def observe_provider_calls(calls: Iterable[ProviderCall]) -> None:
    """Record latency, outcome and cost of provider calls (from a result or a raised error)."""
    instruments = _instruments()
    for call in calls:
        outcome = "ok" if call.error_kind is None else call.error_kind
        instruments.provider_latency.labels(call.provider, call.operation, outcome).observe(call.latency_s)
        if call.cost_usd:
            instruments.provider_cost.labels(call.provider).inc(call.cost_usd)


def observe_likeness(passed: bool) -> None:
    _instruments().likeness_checks.labels("passed" if passed else "failed").inc()


def exposition() -> tuple[bytes, str]:
    """The text exposition format of every metric of this process, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    _instruments()  # every metric is listed, even before its first use
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
