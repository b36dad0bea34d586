"""generate_avatar from the user's own headshot: checked before any paid call, then one full-body request."""

from __future__ import annotations

from tests.fakes.fake_openai import FakeOpenAI, images_reply
from tests.generation.conftest import another_persons_face, b64, prepare_user, users_face
from tests.generation.test_identity_images import client_for
from tool_server.app import AppContext
from tool_server.prompts.identity import render


async def test_an_avatar_from_the_users_headshot_makes_only_the_full_body_in_one_request(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(images_reply([users_face()]))
    async with client_for(openai_app) as client:
        await prepare_user(client)
        result = await client.call_tool("generate_avatar", {"headshot_image_base64": b64(users_face())})
    out = result.structured_content
    assert not result.is_error and out["status"] == "done", result.content
    (avatar,) = out["avatars"]
    assert avatar["passed"] is True and avatar["fullbody_image_id"] is not None
    assert avatar["likeness"]["verdict"].endswith("passes at 0.50")
    assert [i["kind"] for i in out["intermediates"]] == ["headshot", "fullbody"]
    (request,) = fake_openai.requests
    assert request.fields["prompt"][0] == render("avatar_fullbody")
    assert [f.filename for f in request.files if f.field.startswith("image")] == ["headshot.png"]
    print(
        f"\navatar from headshot: {len(fake_openai.requests)} provider request(s), "
        f"result {len(result.model_dump_json())} bytes"
    )


async def test_a_strangers_headshot_is_refused_before_any_provider_request(
    openai_app: AppContext, fake_openai: FakeOpenAI
) -> None:
    async with client_for(openai_app) as client:
        await prepare_user(client)
        refused = await client.call_tool(
            "generate_avatar", {"headshot_image_base64": b64(another_persons_face())}
        )
        both = await client.call_tool(
            "generate_avatar", {"headshot_image_base64": b64(users_face()), "headshot_image_id": "img_x"}
        )
    assert refused.is_error
    text = refused.content[0].text
    assert "doesn't look like the user's reference photos" in text and "fails: passes at 0.50" in text
    assert "Nothing was made or paid" in text
    assert both.is_error and "at most one of" in both.content[0].text
    assert fake_openai.requests == []
    assert await openai_app.runs.list("alice") == []


async def test_an_identity_image_of_the_user_can_be_the_headshot_offline(connect: object) -> None:
    async with connect() as client:  # type: ignore[operator]
        identity_id = await prepare_user(client)
        made = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 1}
        )
        image_id = made.structured_content["image_id"]
        result = await client.call_tool("generate_avatar", {"headshot_image_id": image_id})
    assert not result.is_error and result.structured_content["avatars"][0]["passed"] is True, result.content
