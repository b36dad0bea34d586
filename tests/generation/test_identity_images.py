"""generate_identity_image end to end over the protocol: strategies, best of N, pending, accept."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.conftest import Connect
from tests.fakes.fake_openai import FakeOpenAI, images_reply
from tests.fakes.http_fake import Reply
from tests.generation.conftest import another_persons_face, prepare_user, users_face
from tool_server.app import AppContext
from tool_server.server import create_server


@asynccontextmanager
async def client_for(app: AppContext, **options: Any):  # type: ignore[no-untyped-def]
    async with Client(
        create_server(app.settings, "stdio", app=app), raise_exceptions=True, **options
    ) as client:
        yield client


async def test_offline_direct_generation_scores_saves_and_stays_small(
    connect: Connect, app: AppContext
) -> None:
    progress: list[str] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    async with connect() as client:
        identity_id = await prepare_user(client)
        result = await client.call_tool(
            "generate_identity_image",
            {"identity_id": identity_id, "candidates": 2},
            progress_callback=on_progress,
        )
        identity = json.loads(
            (await client.read_resource(f"coach://identities/{identity_id}")).contents[0].text
        )
    assert not result.is_error, result.content
    out = result.structured_content
    assert out["status"] == "done" and out["provider"] == "offline"
    assert out["likeness"]["passed"] is True and out["needs_review"] is False
    assert len(out["candidates"]) == 2 and identity["current_image_id"] == out["image_id"]
    # Candidates run concurrently, so which one saves first varies; the names say which is which.
    assert sorted(i["name"][3:] for i in out["intermediates"]) == ["candidate_a1_c1", "candidate_a1_c2"]
    for step in out["intermediates"]:
        assert await app.blobs.exists(step["url"].split("/data/", 1)[1])
    assert [b.type for b in result.content] == ["text", "image", "resource_link"]
    assert len(result.model_dump_json()) < 200_000
    assert "preparing references" in progress and any("scoring" in m for m in progress)


async def test_best_of_n_picks_the_candidate_with_the_users_face(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(images_reply([another_persons_face()]), images_reply([users_face()]))
    async with client_for(openai_app) as client:
        identity_id = await prepare_user(client)
        result = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 2, "strategy": "direct"}
        )
    assert not result.is_error, result.content
    out = result.structured_content
    scores = sorted((c["likeness"]["passed"], c["image_id"]) for c in out["candidates"])
    assert [passed for passed, _ in scores] == [False, True]
    assert out["image_id"] == scores[1][1] and out["needs_review"] is False
    edits = [r for r in fake_openai.requests if r.path.endswith("/images/edits")]
    assert len(edits) == 2
    for request in edits:
        assert "input_fidelity" not in request.fields  # gpt-image-2 rejects it
        assert "response_format" not in request.fields
        parts = [f for f in request.files if f.field.startswith("image")]
        assert parts and all(p.filename and p.content_type == "image/jpeg" for p in parts)
        assert "THIS EXACT PERSON" in request.fields["prompt"][0]


async def test_when_no_candidate_passes_the_best_is_returned_for_review_and_nothing_becomes_current(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(*[images_reply([another_persons_face()]) for _ in range(4)])
    async with client_for(openai_app) as client:
        identity_id = await prepare_user(client)
        result = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 2, "strategy": "direct"}
        )
        identity = json.loads(
            (await client.read_resource(f"coach://identities/{identity_id}")).contents[0].text
        )
    out = result.structured_content
    assert out["needs_review"] is True and out["likeness"]["passed"] is False
    assert "Do NOT present it as the user" in result.content[0].text
    assert len(fake_openai.requests) == 4  # two attempts of two candidates
    assert identity["current_image_id"] is None and identity["image_count"] == 4


async def test_generic_swap_with_an_incomplete_profile_makes_no_provider_request(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    async with client_for(openai_app) as client:
        identity_id = await prepare_user(client)
        await client.call_tool("set_body_profile", {"gender": "man"})
        result = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "strategy": "generic_swap"}
        )
    assert result.is_error
    assert (
        "height, build, skin_tone" in result.content[0].text and "set_body_profile" in result.content[0].text
    )
    assert fake_openai.requests == []


async def test_without_a_photo_the_coach_is_told_to_ask_for_one_and_nothing_is_sent(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    async with client_for(openai_app) as client:
        saved = await client.call_tool("save_identity", {"name": "X", "visualization": "Y"})
        result = await client.call_tool(
            "generate_identity_image", {"identity_id": saved.structured_content["identity_id"]}
        )
    assert result.is_error and "add_reference_photo" in result.content[0].text
    assert fake_openai.requests == []


async def test_a_slow_generation_answers_pending_and_get_run_returns_the_result(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    openai_app.settings.sync_deadline_s = 0.2
    fake_openai.enqueue(Reply(200, images_reply([users_face()]).json, delay_s=1.5))
    async with client_for(openai_app) as client:
        identity_id = await prepare_user(client)
        first = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 1, "strategy": "direct"}
        )
        assert first.structured_content["status"] == "pending", first.content
        run_id = first.structured_content["run_id"]
        with anyio.fail_after(30):
            while True:
                polled = await client.call_tool("get_run", {"run_id": run_id})
                if polled.structured_content["status"] != "pending":
                    break
                await anyio.sleep(0.2)
    assert polled.structured_content["status"] == "done"
    assert polled.structured_content["identity_image"]["likeness"]["passed"] is True
    assert [b.type for b in polled.content] == ["text", "image", "resource_link"]


async def test_a_blocked_prompt_fails_cleanly_and_leaves_the_identity_unchanged(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    from tests.fakes.fake_openai import moderation_reply

    fake_openai.enqueue(moderation_reply(), moderation_reply())
    async with client_for(openai_app) as client:
        identity_id = await prepare_user(client)
        before = (await client.read_resource(f"coach://identities/{identity_id}")).contents[0].text
        result = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 1, "strategy": "direct"}
        )
        after = (await client.read_resource(f"coach://identities/{identity_id}")).contents[0].text
    assert result.is_error
    assert before == after
    runs = await openai_app.runs.list("alice")
    record = await openai_app.runs.get("alice", runs[0])
    assert record.status == "failed" and record.calls and record.calls[0]["error_kind"]


async def test_accept_rules(connect: Connect) -> None:
    async with connect() as client:
        identity_id = await prepare_user(client)
        other = (
            await client.call_tool("save_identity", {"name": "O", "visualization": "Hiking"})
        ).structured_content
        nothing_yet = await client.call_tool("accept_identity_visualization", {"identity_id": identity_id})
        assert nothing_yet.is_error and "generate_identity_image" in nothing_yet.content[0].text
        made = (
            await client.call_tool("generate_identity_image", {"identity_id": identity_id, "candidates": 1})
        ).structured_content
        accepted = await client.call_tool("accept_identity_visualization", {"identity_id": identity_id})
        again = await client.call_tool("accept_identity_visualization", {"identity_id": identity_id})
        wrong = await client.call_tool(
            "accept_identity_visualization",
            {"identity_id": other["identity_id"], "image_id": made["image_id"]},
        )
        await client.call_tool("generate_identity_image", {"identity_id": identity_id, "candidates": 1})
        identity = json.loads(
            (await client.read_resource(f"coach://identities/{identity_id}")).contents[0].text
        )
    assert accepted.structured_content["accepted_image_id"] == made["image_id"]
    assert again.structured_content == accepted.structured_content
    assert wrong.is_error and "not one of this identity's images" in wrong.content[0].text
    assert identity["accepted_image_id"] == made["image_id"]  # a later generation never replaces it
    assert identity["current_image_id"] != made["image_id"] and identity["image_count"] == 2


@pytest.mark.parametrize("strategy", ["generic_swap"])
async def test_offline_generic_swap_keeps_the_generic_image_before_the_swap(
    connect: Connect, strategy: str
) -> None:
    async with connect() as client:
        identity_id = await prepare_user(client, profile=True)
        result = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 1, "strategy": strategy}
        )
    out = result.structured_content
    assert [i["name"] for i in out["intermediates"]] == ["01_generic_a1_c1", "02_swapped_a1_c1"]
    assert out["strategy"] == "generic_swap" and out["likeness"]["passed"] is True


async def test_avatar_strategy_without_an_approved_avatar_says_to_generate_one(connect: Connect) -> None:
    async with connect() as client:
        identity_id = await prepare_user(client)
        result = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "strategy": "avatar"}
        )
    assert result.is_error and "generate_avatar" in result.content[0].text
