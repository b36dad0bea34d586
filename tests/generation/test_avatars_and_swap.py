"""generate_avatar / approve_avatar, face_swap and the run resource, end to end over the protocol."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.conftest import Connect
from tests.fakes.fake_gemini import FakeGemini, image_part, parts_reply, text_part
from tests.fakes.fake_openai import FakeOpenAI, images_reply
from tests.fakes.http_fake import Reply
from tests.generation.conftest import another_persons_face, b64, prepare_user, users_face
from tests.generation.test_identity_images import client_for
from tests.photo_files import encode
from tests.photos import astronaut
from tool_server.app import AppContext, build_app
from tool_server.prompts.identity import render
from tool_server.settings import Settings


def openai_images(fake: FakeOpenAI) -> list[Any]:
    return [r for r in fake.requests if r.path.endswith("/images/edits")]


async def test_offline_avatars_are_paired_numbered_scored_and_approvable(
    connect: Connect, app: AppContext
) -> None:
    async with connect() as client:
        await prepare_user(client)
        first = await client.call_tool("generate_avatar", {"candidates": 2})
        second = await client.call_tool("generate_avatar", {"candidates": 1})
        out = first.structured_content
        assert not first.is_error and out["status"] == "done", first.content
        assert [a["passed"] for a in out["avatars"]] == [True, True] and out["needs_review"] is False
        names = sorted((a["headshot_name"], a["fullbody_name"]) for a in out["avatars"])
        assert names == [
            ("alice_avatar_headshot_offline_01.png", "alice_avatar_fullbody_offline_01.png"),
            ("alice_avatar_headshot_offline_02.png", "alice_avatar_fullbody_offline_02.png"),
        ]
        # Numbers keep counting across runs.
        assert second.structured_content["avatars"][0]["headshot_name"].endswith("_offline_03.png")
        assert [b.type for b in first.content] == ["text", "image", "resource_link"]
        kinds = [i["kind"] for i in out["intermediates"]]
        assert kinds.count("headshot") == 2 and kinds.count("fullbody") == 2

        run = json.loads((await client.read_resource(f"coach://runs/{out['run_id']}")).contents[0].text)
        scored = [(step["kind"], step["likeness"]["passed"]) for step in run["steps"]]
        assert sorted(scored) == [("fullbody", True)] * 2 + [("headshot", True)] * 2
        stored = sorted(k.rsplit("/", 1)[1] for k in await app.blobs.list("users/alice/avatars/"))
        assert "alice_avatar_fullbody_offline_03.png" in stored and "index.json" in stored

        # Before approval the avatar strategy explains what to do; after it, it works.
        identity_id = (await client.call_tool("list_identities", {})).structured_content["identities"][0][
            "identity_id"
        ]
        refused = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "strategy": "avatar"}
        )
        assert refused.is_error and "approve_avatar" in refused.content[0].text
        approved = await client.call_tool("approve_avatar", {"avatar_id": out["best_avatar_id"]})
        again = await client.call_tool("approve_avatar", {"avatar_id": out["best_avatar_id"]})
        assert not approved.is_error and approved.structured_content == again.structured_content
        made = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "strategy": "avatar", "candidates": 1}
        )
        assert made.structured_content["status"] == "done" and made.structured_content["strategy"] == "avatar"
        unknown = await client.call_tool("approve_avatar", {"avatar_id": "avt_doesnotexist0000"})
        assert unknown.is_error and "generate_avatar" in unknown.content[0].text


async def test_openai_avatar_requests_and_a_failed_headshot_gets_no_full_body(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(
        images_reply([users_face()]),  # headshot 1: the user
        images_reply([users_face()]),  # its full body
    )
    async with client_for(openai_app) as client:
        await prepare_user(client)
        good = await client.call_tool("generate_avatar", {"candidates": 1})
        headshot, fullbody = openai_images(fake_openai)
        assert good.structured_content["avatars"][0]["passed"] is True
        assert headshot.fields["prompt"] == [render("avatar_headshot")]
        assert headshot.fields["size"] == ["1024x1024"]
        names = [f.filename for f in headshot.files]
        assert names[0].endswith("_face.jpg"), "face crops go first"
        assert fullbody.fields["prompt"] == [render("avatar_fullbody")] and fullbody.fields["size"] == [
            "1024x1536"
        ]
        assert len(fullbody.files) == 1  # the headshot is the only reference

        fake_openai.requests.clear()
        fake_openai.enqueue(images_reply([another_persons_face()]), images_reply([another_persons_face()]))
        bad = await client.call_tool("generate_avatar", {"candidates": 1})
        out = bad.structured_content
        assert out["needs_review"] is True and out["avatars"][0]["passed"] is False
        assert out["avatars"][0]["fullbody_image_id"] is None
        assert len(openai_images(fake_openai)) == openai_app.settings.max_attempts  # headshots only
        refused = await client.call_tool("approve_avatar", {"avatar_id": out["avatars"][0]["avatar_id"]})
        assert refused.is_error and "likeness" in refused.content[0].text


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


async def test_gemini_thought_images_are_kept_as_intermediates(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        storage_url=str(tmp_path / "data"),
        user="alice",
        provider="gemini",
        provider_fallback=["gemini"],
        gemini_api_key="gemini-test-not-a-real-key",
        gemini_base_url=fake_gemini.base_url,
        provider_max_retries=0,
        _env_file=None,
    )
    thought = encode(astronaut().resize((256, 256)), "PNG")
    reply = parts_reply(
        [
            text_part("Studying the face", thought=True),
            image_part(thought, thought=True),
            image_part(users_face()),
        ]
    )
    fake_gemini.enqueue(reply, parts_reply([image_part(users_face())]))
    app = build_app(settings, "stdio")
    async with client_for(app) as client:
        await prepare_user(client)
        result = await client.call_tool("generate_avatar", {"candidates": 1})
    steps = [(i["name"], i["kind"]) for i in result.structured_content["intermediates"]]
    assert steps == [
        ("01_thought_a1_c1_1", "thought"),
        ("02_headshot_a1_c1", "headshot"),
        ("03_fullbody_a1_c1", "fullbody"),
    ]
    avatar = result.structured_content["avatars"][0]
    assert avatar["headshot_name"] == "alice_avatar_headshot_gemini_01.png"
    stored = await app.blobs.get(f"users/alice/avatars/{avatar['headshot_name']}")
    assert stored.startswith(b"\x89PNG")


async def test_face_swap_into_an_identity_image_offline(connect: Connect, app: AppContext) -> None:
    async with connect() as client:
        identity_id = await prepare_user(client)
        made = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 1}
        )
        image_id = made.structured_content["image_id"]
        swapped = await client.call_tool("face_swap", {"target_image_id": image_id, "provider": "offline"})
        out = swapped.structured_content
        assert not swapped.is_error and out["status"] == "done", swapped.content
        assert out["provider"] == "offline" and out["likeness"]["passed"] is True
        assert [i["name"] for i in out["intermediates"]] == ["01_target", "02_swapped_c1"]
        record = json.loads((await client.read_resource(f"coach://runs/{out['run_id']}")).contents[0].text)
    assert record["kind"] == "face_swap" and record["status"] == "done"
    assert record["prompt_version"] and record["calls"][0]["provider"] == "offline"
    assert record["steps"][1]["image_id"] == out["image_id"] and record["steps"][1]["url"]
    assert "owner_pid" not in record


async def test_face_swap_with_a_sent_target_through_openai(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(images_reply([users_face()]))
    target = encode(astronaut(), "JPEG")
    async with client_for(openai_app) as client:
        await prepare_user(client)
        result = await client.call_tool("face_swap", {"target_image_base64": b64(target)})
    out = result.structured_content
    assert out["status"] == "done" and out["provider"] == "openai" and out["needs_review"] is False
    (request,) = openai_images(fake_openai)
    assert request.fields["prompt"] == [render("face_swap")]
    assert request.files[0].filename == "target.jpg"
    assert request.files[1].filename.endswith("_face.jpg")


async def test_face_swap_falls_back_to_offline_when_the_provider_is_unavailable(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(Reply(503, {"error": {"message": "overloaded", "type": "server_error"}}))
    async with client_for(openai_app) as client:
        identity_id = await prepare_user(client)
        fake_openai.enqueue(images_reply([users_face()]))
        made = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 1, "provider": "offline"}
        )
        result = await client.call_tool("face_swap", {"target_image_id": made.structured_content["image_id"]})
    out = result.structured_content
    assert out["provider"] == "offline" and "offline swap" in out["fallback"], result.content


async def test_face_swap_refuses_bad_targets_before_any_provider_call(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    from PIL import Image

    faceless = encode(Image.new("RGB", (640, 480), (90, 140, 90)), "PNG")
    async with client_for(openai_app) as client:
        await prepare_user(client)
        no_face = await client.call_tool("face_swap", {"target_image_base64": b64(faceless)})
        both = await client.call_tool(
            "face_swap", {"target_image_base64": b64(faceless), "target_image_id": "img_x"}
        )
        garbage = await client.call_tool("face_swap", {"target_image_base64": b64(b"not an image")})
        missing = await client.call_tool("face_swap", {"target_image_id": "img_doesnotexist00000"})
    assert no_face.is_error and "no face" in no_face.content[0].text
    assert both.is_error and "exactly one" in both.content[0].text
    assert garbage.is_error and "not an image" in garbage.content[0].text
    assert missing.is_error and "No image" in missing.content[0].text
    assert openai_images(fake_openai) == []


async def test_a_slow_avatar_answers_pending_and_get_run_returns_it(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    openai_app.settings.sync_deadline_s = 0.2
    fake_openai.enqueue(
        Reply(200, images_reply([users_face()]).json, delay_s=1.0), images_reply([users_face()])
    )
    async with client_for(openai_app) as client:
        await prepare_user(client)
        first = await client.call_tool("generate_avatar", {"candidates": 1})
        assert first.structured_content["status"] == "pending", first.content
        with anyio.fail_after(30):
            while True:
                polled = await client.call_tool("get_run", {"run_id": first.structured_content["run_id"]})
                if polled.structured_content["status"] != "pending":
                    break
                await anyio.sleep(0.2)
    out = polled.structured_content
    assert out["kind"] == "avatar" and out["status"] == "done"
    assert out["avatar"]["avatars"][0]["fullbody_image_id"] is not None
    assert out["identity_image"] is None


async def test_generic_swap_over_openai_draws_a_generic_person_then_swaps_the_face(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(images_reply([another_persons_face()]), images_reply([users_face()]))
    async with client_for(openai_app) as client:
        identity_id = await prepare_user(client, profile=True)
        result = await client.call_tool(
            "generate_identity_image",
            {"identity_id": identity_id, "strategy": "generic_swap", "candidates": 1},
        )
    out = result.structured_content
    assert out["status"] == "done" and out["needs_review"] is False, result.content
    generic, swap = fake_openai.requests
    assert generic.path.endswith("/images/generations")
    prompt = generic.json["prompt"]
    assert "female" in prompt and "athletic" in prompt and "light-skinned" in prompt and "keynote" in prompt
    assert swap.path.endswith("/images/edits") and swap.fields["prompt"] == [render("face_swap")]
    assert swap.files[0].data == another_persons_face()  # the generic image is the target
    assert [i["name"] for i in out["intermediates"]] == ["01_generic_a1_c1", "02_swapped_a1_c1"]


async def test_avatar_strategy_over_openai_sends_only_the_approved_headshot(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(images_reply([users_face()]), images_reply([users_face()]))
    async with client_for(openai_app) as client:
        identity_id = await prepare_user(client)
        avatar = (await client.call_tool("generate_avatar", {"candidates": 1})).structured_content
        await client.call_tool("approve_avatar", {"avatar_id": avatar["best_avatar_id"]})
        fake_openai.requests.clear()
        fake_openai.enqueue(images_reply([users_face()]))
        result = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "strategy": "avatar", "candidates": 1}
        )
    headshot_name = avatar["avatars"][0]["headshot_name"]
    stored = await openai_app.blobs.get(f"users/alice/avatars/{headshot_name}")
    (request,) = fake_openai.requests
    assert len(request.files) == 1 and request.files[0].data == stored
    assert (
        result.structured_content["strategy"] == "avatar"
        and result.structured_content["needs_review"] is False
    )
