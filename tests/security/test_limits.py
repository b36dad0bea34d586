"""Caps and quotas: request body, settings checked at startup, per-user rate limit, daily budget,
and the global bound on provider calls in flight."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from pydantic import ValidationError

from tests.conftest import Connect
from tests.fakes.fake_openai import FakeOpenAI, images_reply
from tests.fakes.http_fake import Reply
from tests.generation.conftest import users_face
from tests.security.conftest import RunningServer, ServeFor, mcp_client, mint, seed_user
from tool_server.app import AppContext, build_app
from tool_server.quotas.budget import BudgetExceeded, DailyBudget, run_started
from tool_server.server import create_server
from tool_server.settings import Settings
from tool_server.shared import MemoryState

MB = 1024 * 1024


async def test_a_body_over_the_cap_gets_413_with_a_clear_message(serve: ServeFor) -> None:
    cap = 2 * MB

    async def streamed() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MB in chunks, no Content-Length

    with serve(max_request_bytes=cap, max_upload_bytes=1 * MB) as server:
        headers = {"Authorization": f"Bearer {mint('kim')}", "Content-Type": "application/json"}
        async with httpx2.AsyncClient() as http:
            declared = await http.post(server.mcp_url, headers=headers, content=b"x" * (cap + 1))
            chunked = await http.post(server.mcp_url, headers=headers, content=streamed())
            upload = await http.put(
                server.url + "/api/v1/users/me/upload-photo/",
                headers={"Authorization": headers["Authorization"]},
                files={"image": ("big.jpg", b"x" * (cap + 10))},
            )
    for response in (declared, chunked, upload):
        assert response.status_code == 413
        assert "COACH_IMAGE_MAX_REQUEST_BYTES" in response.json()["error"]


def test_bad_limit_settings_are_refused_at_startup_naming_the_fix() -> None:
    with pytest.raises(ValidationError, match="at least"):
        Settings(max_upload_bytes=20 * MB, max_request_bytes=20 * MB, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="COUNT/PERIOD"):
        Settings(rate_limit="lots", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="32 random bytes"):
        Settings(jwt_secret="short", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(daily_budget_usd=-1, _env_file=None)  # type: ignore[call-arg]
    assert Settings(rate_limit="", _env_file=None).rate_limit == ""  # type: ignore[call-arg]


async def test_the_rate_limit_is_per_user_and_says_how_long_to_wait(serve: ServeFor) -> None:
    with serve(rate_limit="3/minute") as server:
        async with mcp_client(server, mint("lee")) as client:
            answers = [await client.call_tool("list_identities", {}) for _ in range(4)]
        async with mcp_client(server, mint("max")) as other:
            unaffected = await other.call_tool("list_identities", {})
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {mint('lee')}"}) as http:
            route = await http.get(server.url + "/metrics")
    assert [a.is_error for a in answers] == [False, False, False, True]
    text = answers[-1].content[0].text  # type: ignore[union-attr]
    assert "limit is 3/minute" in text and "Wait" in text and "do not retry in a loop" in text
    assert not unaffected.is_error
    assert route.status_code == 429 and int(route.headers["retry-after"]) >= 1


async def test_the_daily_budget_stops_provider_calls_and_tells_the_coach_what_to_do(serve: ServeFor) -> None:
    with FakeOpenAI() as fake, _on_a_small_budget(serve, fake, 0.25) as server:
        ids = await seed_user(server, "nia")  # one generation: about $0.17; another does not fit
        spent = await server.app.budget.spent_today("nia")
        async with mcp_client(server, mint("nia")) as client:
            refused = await client.call_tool(
                "generate_identity_image", {"identity_id": ids["identity"], "candidates": 1}
            )
        async with mcp_client(server, mint("omar")) as client:
            other = await client.call_tool("list_identities", {})
        assert len(fake.requests) == 1
    assert spent > 0.1
    assert refused.is_error
    text = refused.content[0].text  # type: ignore[union-attr]
    assert (
        re.search(r"image budget for today has \$0\.\d\d of \$0\.25 left", text)
        and "after midnight UTC" in text
        and "Nothing was charged" in text
    )
    assert not other.is_error


async def test_dog_avatars_count_against_the_same_budget(serve: ServeFor) -> None:
    with FakeOpenAI() as fake, _on_a_small_budget(serve, fake, 0.15) as server:
        async with mcp_client(server, mint("nia")) as client:
            # A face photo is no monoline dog: it fails validation; its retry is refused by the budget
            # (what is left cannot pay for it), so the paid-for image is kept for review.
            first = await client.call_tool("dog_avatar", {"job": "teacher"})
            refused = await client.call_tool("dog_avatar", {"job": "chef"})
        assert len(fake.requests) == 1
    assert not first.is_error and first.structured_content["cost_usd"] > 0.05  # type: ignore[index]
    assert first.structured_content["needs_review"] is True  # type: ignore[index]
    assert refused.is_error and "image budget for today has" in refused.content[0].text  # type: ignore[union-attr]


@contextmanager
def _on_a_small_budget(serve: ServeFor, fake: FakeOpenAI, budget: float) -> Iterator[RunningServer]:
    """A server on the fake OpenAI (3 answers of about $0.13 each queued) with a small daily budget.

    The budget fits a first call's estimate (an identity image: $0.22; a dog avatar: $0.08) but
    not a second one on top of the first call's cost.
    """
    fake.enqueue(*[images_reply([users_face()], usage=_usage()) for _ in range(3)])
    with serve(
        provider="openai",
        provider_fallback=["openai"],
        openai_api_key="sk-test",
        openai_base_url=fake.base_url,
        provider_max_retries=0,
        daily_budget_usd=budget,
    ) as server:
        yield server


def _usage() -> dict[str, object]:
    return {
        "input_tokens": 100,
        "output_tokens": 4160,
        "total_tokens": 4260,
        "input_tokens_details": {"text_tokens": 100, "image_tokens": 0},
        "output_tokens_details": {"image_tokens": 4160, "text_tokens": 0},
    }


async def test_provider_calls_in_flight_never_exceed_the_global_bound_through_the_tool(
    serve: ServeFor, tmp_path: Path
) -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(*[Reply(200, images_reply([users_face()]).json, delay_s=0.3) for _ in range(3)])
        with serve(
            provider="openai",
            provider_fallback=["openai"],
            openai_api_key="sk-test",
            openai_base_url=fake.base_url,
            provider_max_retries=0,
            provider_max_concurrency=1,
            daily_budget_usd=0,
        ) as server:
            ids = await seed_user(server, "pat")
            async with mcp_client(server, mint("pat")) as client:
                made = await client.call_tool(
                    "generate_identity_image", {"identity_id": ids["identity"], "candidates": 3}
                )
        assert not made.is_error, made.content
        assert len(fake.requests) == 4 and fake.max_in_flight == 1


def test_run_ids_tell_when_the_run_started() -> None:
    from tool_server.ids import new_id

    started = run_started(new_id("run"))
    assert started is not None and abs((datetime.now(UTC) - started).total_seconds()) < 5


async def test_the_budget_ledger_starts_the_day_from_the_run_records(app: AppContext) -> None:
    clock = [datetime.now(UTC)]
    recorder = await app.runs.start("alice", "identity_image", {})
    recorder.record.calls.append({"provider": "openai", "cost_usd": 0.75, "started_at": clock[0].isoformat()})
    await recorder.finish({})  # spent before this ledger existed (an earlier process)
    budget = DailyBudget(app.runs, app.docs, 1.0, MemoryState(), now=lambda: clock[0])
    held = await budget.reserve("alice", 0.2)
    with pytest.raises(BudgetExceeded, match=r"\$0.05 of \$1.00 left"):
        await budget.reserve("alice", 0.2)  # 0.75 spent + 0.2 reserved: 0.2 more does not fit
    await budget.settle(held, 0.0)  # the call failed: its reservation is released
    await budget.reserve("alice", 0.2)
    assert await budget.spent("alice") == pytest.approx(0.95)
    assert await budget.spent("bob") == 0


async def test_parallel_reservations_never_pass_the_budget(app: AppContext) -> None:
    budget = DailyBudget(app.runs, app.docs, 0.5, MemoryState())
    results: list[bool] = []
    all_tried = anyio.Event()

    async def call() -> None:
        try:
            held = await budget.reserve("alice", 0.17)
        except BudgetExceeded:
            held = None
        results.append(held is not None)
        if len(results) == 12:
            all_tried.set()
        await all_tried.wait()  # every reservation is held at once
        if held is not None:
            await budget.settle(held, 0.16)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            for _ in range(12):
                group.start_soon(call)
    assert results.count(True) == 2  # 2 x 0.17 reserved fit in 0.50; a third would not
    assert await budget.spent("alice") == pytest.approx(0.32)


async def test_the_rate_limit_does_not_apply_to_the_local_stdio_user(tmp_path: Path) -> None:
    settings = Settings(storage_url=str(tmp_path / "d"), rate_limit="1/minute", _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, "stdio")
    server = create_server(settings, "stdio", app=app)
    async with Client(server) as client:
        answers = [await client.call_tool("list_identities", {}) for _ in range(3)]
    assert not any(a.is_error for a in answers)


async def test_prompt_length_and_candidate_caps_answer_with_what_to_change(connect: Connect) -> None:
    async with connect() as client:
        saved = await client.call_tool("save_identity", {"name": "Runner", "visualization": "At the finish"})
        identity_id = saved.structured_content["identity_id"]  # type: ignore[index]
        long_prompt = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "prompt": "x" * 4001}
        )
        many = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 5}
        )
    assert long_prompt.is_error
    assert "longer than 4000 characters; shorten it" in long_prompt.content[0].text  # type: ignore[union-attr]
    assert many.is_error and "candidates" in many.content[0].text  # type: ignore[union-attr]
    assert "less than or equal to 4" in many.content[0].text  # type: ignore[union-attr]
