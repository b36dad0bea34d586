"""generate_all_identity_images over the protocol: accepted identities left alone, budget checked first."""

from __future__ import annotations

import json
from typing import Any

import anyio

from tests.fakes.fake_openai import FakeOpenAI, images_reply
from tests.fakes.http_fake import Reply
from tests.generation.conftest import prepare_user, users_face
from tests.generation.test_identity_images import client_for
from tool_server.app import AppContext


async def three_identities_one_accepted(client: Any) -> tuple[str, list[str]]:
    accepted = await prepare_user(client)
    made = await client.call_tool(
        "generate_identity_image", {"identity_id": accepted, "candidates": 1, "strategy": "direct"}
    )
    assert not made.is_error, made.content
    await client.call_tool("accept_identity_visualization", {"identity_id": accepted})
    others = []
    for name in ("The Runner", "The Painter"):
        saved = await client.call_tool("save_identity", {"name": name, "visualization": f"{name} at work"})
        others.append(saved.structured_content["identity_id"])
    return accepted, others


async def test_the_batch_makes_one_image_per_identity_and_leaves_an_accepted_one_alone(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(*[images_reply([users_face()]) for _ in range(3)])
    progress: list[str] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with client_for(openai_app) as client:
        accepted, others = await three_identities_one_accepted(client)
        before = json.loads((await client.read_resource(f"coach://identities/{accepted}")).contents[0].text)
        result = await client.call_tool(
            "generate_all_identity_images",
            {"candidates": 1, "strategy": "direct"},
            progress_callback=on_progress,
        )
        after = json.loads((await client.read_resource(f"coach://identities/{accepted}")).contents[0].text)
        listed = (await client.call_tool("list_identities", {})).structured_content["identities"]
    out = result.structured_content
    assert not result.is_error and out["status"] == "done", result.content
    by_id = {item["identity_id"]: item for item in out["identities"]}
    assert by_id[accepted]["status"] == "skipped" and by_id[accepted]["image_id"] is None
    for identity_id in others:
        item = by_id[identity_id]
        assert item["status"] == "done" and item["needs_review"] is False and item["run_id"]
        assert item["likeness"].endswith("passes at 0.50")
    current = {i["identity_id"]: i["current_image_id"] for i in listed}
    assert all(current[i] == by_id[i]["image_id"] for i in others)
    assert after == before  # the accepted identity was not touched
    assert len(fake_openai.requests) == 3  # one for the accepted identity earlier, one per other identity
    assert out["estimated_cost_usd"] > 0 and any("of 2 identities done" in m for m in progress)
    size = len(result.model_dump_json())
    print(f"\nbatch result: {size} bytes; provider requests: {len(fake_openai.requests)}")


async def test_a_batch_over_the_budget_is_refused_with_the_estimate_before_any_request(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    openai_app.budget.limit_usd = 0.05
    async with client_for(openai_app) as client:
        await prepare_user(client)
        await client.call_tool("save_identity", {"name": "Two", "visualization": "Sailing"})
        refused = await client.call_tool("generate_all_identity_images", {"candidates": 2})
    assert refused.is_error
    text = refused.content[0].text
    assert "would cost about $" in text and "only $0.05" in text and "Nothing was generated" in text
    assert fake_openai.requests == []
    assert await openai_app.runs.list("alice") == []


async def test_a_slow_batch_answers_pending_and_get_run_returns_each_identitys_result(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    openai_app.settings.sync_deadline_s = 0.2
    fake_openai.enqueue(Reply(200, images_reply([users_face()]).json, delay_s=1.0))
    async with client_for(openai_app) as client:
        await prepare_user(client)
        first = await client.call_tool(
            "generate_all_identity_images", {"candidates": 1, "strategy": "direct"}
        )
        assert first.structured_content["status"] == "pending", first.content
        with anyio.fail_after(30):
            while True:
                polled = await client.call_tool("get_run", {"run_id": first.structured_content["run_id"]})
                if polled.structured_content["status"] != "pending":
                    break
                await anyio.sleep(0.2)
    batch = polled.structured_content["batch"]
    assert polled.structured_content["kind"] == "batch" and batch["status"] == "done"
    assert [i["status"] for i in batch["identities"]] == ["done"]
