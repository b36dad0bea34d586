"""/metrics on the HTTP transport: Prometheus text with calls, errors, provider latency and cost,
likeness results and the dog cache counters; no user id in any label."""

from __future__ import annotations

import httpx2
from prometheus_client.parser import text_string_to_metric_families

from tests.security.conftest import ServeFor, mcp_client, mint, seed_user


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def _scrape(url: str, token: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        response = await http.get(url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "quinn" not in response.text
    return _samples(response.text)


async def test_metrics_count_tool_calls_errors_provider_calls_and_likeness(serve: ServeFor) -> None:
    with serve() as server:
        token = mint("quinn")
        before = await _scrape(server.url, token)
        await seed_user(server, "quinn")  # add photo, save identity, one offline generation
        async with mcp_client(server, token) as client:
            await client.call_tool("get_run", {"run_id": "run_0000000000nothing00"})
        after = await _scrape(server.url, token)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("coach_tool_calls_total", tool="save_identity") == 1
    assert delta("coach_tool_calls_total", tool="generate_identity_image") == 1
    assert delta("coach_tool_errors_total", tool="get_run", kind="NotFound") == 1
    assert (
        delta("coach_likeness_checks_total", result="passed")
        + delta("coach_likeness_checks_total", result="failed")
        >= 1
    )
    latency = [
        k for k in after if k[0] == "coach_provider_latency_seconds_count" and ("provider", "offline") in k[1]
    ]
    assert latency and sum(after[k] - before.get(k, 0.0) for k in latency) >= 1
    assert ("dog_cache_hits_total", ()) in after and ("dog_cache_misses_total", ()) in after
