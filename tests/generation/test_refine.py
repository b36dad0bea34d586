"""refine_identity_image end to end over the protocol: OpenAI edits, Gemini continues its conversation."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_gemini import FakeGemini, image_part, parts_reply, text_part
from tests.fakes.fake_openai import FakeOpenAI, images_reply
from tests.generation.conftest import another_persons_face, prepare_user, users_face
from tests.generation.test_identity_images import client_for
from tool_server.app import AppContext, build_app
from tool_server.gallery import write_user_gallery
from tool_server.generation.images import get_image
from tool_server.settings import Settings

SIGNATURE = b"opaque-signature-of-the-parent"


async def identity_of(client: Any, identity_id: str) -> dict[str, Any]:
    return json.loads((await client.read_resource(f"coach://identities/{identity_id}")).contents[0].text)


async def make_parent(client: Any) -> tuple[str, str]:
    identity_id = await prepare_user(client)
    made = await client.call_tool(
        "generate_identity_image", {"identity_id": identity_id, "candidates": 1, "strategy": "direct"}
    )
    assert not made.is_error and made.structured_content["needs_review"] is False, made.content
    return identity_id, made.structured_content["image_id"]


async def test_an_openai_refine_edits_the_parent_first_then_the_face_crops_and_becomes_current(
    openai_app: AppContext, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(images_reply([users_face()]), images_reply([users_face()]))
    async with client_for(openai_app) as client:
        identity_id, parent_id = await make_parent(client)
        await client.call_tool("accept_identity_visualization", {"identity_id": identity_id})
        refined = await client.call_tool(
            "refine_identity_image", {"image_id": parent_id, "instruction": "a blue jacket", "candidates": 1}
        )
        identity = await identity_of(client, identity_id)
    out = refined.structured_content
    assert not refined.is_error and out["status"] == "done", refined.content
    assert out["parent_image_id"] == parent_id and out["needs_review"] is False
    assert out["likeness"]["verdict"].endswith("passes at 0.50")
    assert identity["current_image_id"] == out["image_id"] and identity["accepted_image_id"] == parent_id
    assert identity["image_count"] == 2
    edit = fake_openai.requests[-1]
    parts = [f for f in edit.files if f.field.startswith("image")]
    parent_bytes = await openai_app.blobs.get((await get_image(openai_app, "alice", parent_id)).key)
    assert parts[0].data == parent_bytes and parts[0].filename.startswith(parent_id)
    assert len(parts) == 2 and parts[1].filename.endswith("_face.jpg")
    prompt = edit.fields["prompt"][0]
    assert "Change: a blue jacket" in prompt and "The first image" in prompt
    assert "Refined " + parent_id in refined.content[0].text
    html = (await write_user_gallery(openai_app, "alice", tmp_path / "gallery")).read_text()
    verdict = out["likeness"]["verdict"]
    assert f"<code>{parent_id}</code> → <code>{out['image_id']}</code> “a blue jacket”" in html
    lineage = html.split('<ol class="lineage">', 1)[1].split("</ol>", 1)[0]
    assert f"· {verdict}</span>" in lineage
    print(
        f"\nrefine result: {len(refined.model_dump_json())} bytes; "
        f"provider requests: {len(fake_openai.requests)}"
    )


async def test_a_refine_that_drifts_from_the_face_is_flagged_and_does_not_become_current(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(images_reply([users_face()]), *[images_reply([another_persons_face()])] * 2)
    async with client_for(openai_app) as client:
        identity_id, parent_id = await make_parent(client)
        refined = await client.call_tool(
            "refine_identity_image", {"image_id": parent_id, "instruction": "older", "candidates": 1}
        )
        identity = await identity_of(client, identity_id)
    out = refined.structured_content
    assert out["needs_review"] is True and out["likeness"]["passed"] is False
    assert "fails: passes at 0.50" in out["likeness"]["verdict"]
    assert "Do NOT present it as the user" in refined.content[0].text
    assert identity["current_image_id"] == parent_id and identity["image_count"] == 3
    assert len(fake_openai.requests) == 3  # the parent, then two refine attempts


@pytest.mark.parametrize("image_id", ["img_doesnotexist0000000000", "../x", "photo_abc"])
async def test_an_unknown_image_is_refused_without_a_provider_call(
    openai_app: AppContext, fake_openai: FakeOpenAI, image_id: str
) -> None:
    async with client_for(openai_app) as client:
        await prepare_user(client)
        refused = await client.call_tool("refine_identity_image", {"image_id": image_id, "instruction": "x"})
    assert refused.is_error and "No image with id" in refused.content[0].text
    assert fake_openai.requests == []


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    with FakeGemini() as fake:
        yield fake


def gemini_settings(tmp_path: Path, fake: FakeGemini) -> Settings:
    return Settings(  # type: ignore[call-arg]
        storage_url=str(tmp_path / "data"),
        user="alice",
        provider="gemini",
        provider_fallback=["gemini"],
        gemini_api_key="gemini-test-not-a-real-key",
        gemini_base_url=fake.base_url,
        provider_max_retries=0,
        _env_file=None,
    )


async def test_a_gemini_refine_in_another_process_sends_back_the_earlier_turns_with_the_signature(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    parent = users_face()
    final = image_part(parent)
    final["thoughtSignature"] = base64.b64encode(SIGNATURE).decode()
    fake_gemini.enqueue(
        parts_reply(
            [text_part("Planning", thought=True), image_part(another_persons_face(), thought=True), final]
        ),
        parts_reply([image_part(users_face())]),
    )
    async with client_for(build_app(gemini_settings(tmp_path, fake_gemini), "stdio")) as client:
        _, parent_id = await make_parent(client)
    # A fresh app: nothing in memory, only what the parent's run stored.
    async with client_for(build_app(gemini_settings(tmp_path, fake_gemini), "stdio")) as client:
        refined = await client.call_tool(
            "refine_identity_image", {"image_id": parent_id, "instruction": "at sunset", "candidates": 1}
        )
    assert not refined.is_error and refined.structured_content["parent_image_id"] == parent_id, (
        refined.content
    )
    first, second = fake_gemini.requests
    earlier_user = first.json["contents"][0]
    contents = second.json["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[0] == earlier_user  # the earlier user turn, as sent
    (model_part,) = contents[1]["parts"]  # thought parts are not sent back
    assert base64.b64decode(model_part["thoughtSignature"]) == SIGNATURE
    sent_image = next(v for k, v in model_part.items() if k in ("inlineData", "inline_data"))
    data = sent_image["data"]
    assert base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)) == parent
    (instruction,) = contents[2]["parts"]
    assert "at sunset" in instruction["text"]
    print(f"\ngemini refine request: {len(second.body)} bytes, {len(contents)} turns")


async def test_the_visualization_prompt_offers_a_refine_before_a_regeneration_and_the_batch(
    openai_app: AppContext,
) -> None:
    async with client_for(openai_app) as client:
        prompt = await client.get_prompt("identity_visualization")
        instructions = client.instructions or ""
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    unsatisfied = text.split("\n5. ", 1)[1]
    assert unsatisfied.index("refine_identity_image") < unsatisfied.index("Offer to regenerate")
    assert "generate_all_identity_images" in text and "several identities" in text
    assert "refine_identity_image" in instructions and "generate_all_identity_images" in instructions
