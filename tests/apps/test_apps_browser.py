"""Each app driven as a person would, in headless Chromium, inside a host built on the ext-apps
AppBridge, against the real server over streamable HTTP (see conftest.py).

Screenshots land in the test's tmp dir (`pytest -s` prints their paths).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import anyio
import numpy as np
import pytest
from PIL import Image

from tests.apps.conftest import Host, hosting, needs_browser
from tests.generation.conftest import b64
from tests.photo_files import encode, portrait
from tool_server.app import AppContext, build_app
from tool_server.userdata import keys
from tool_server.userdata.models import Identity

pytestmark = needs_browser()


async def settle(host: Host, frame: object, text: str) -> None:
    """Wait (bounded) until the app's status line says `text`."""
    await host.page.frame_locator("iframe").locator("#status").filter(has_text=text).wait_for(timeout=30_000)


def assert_clean(host: Host) -> None:
    assert host.problems == [], host.problems


@pytest.mark.parametrize("width,height", [(900, 1200), (2400, 3000)])
async def test_a_person_frames_their_face_in_the_square_and_the_stored_crop_is_that_square(
    browser_app: AppContext, tmp_path: Path, width: int, height: int
) -> None:
    photo = portrait(width, height)
    async with hosting(browser_app, tmp_path) as host:
        app = await host.open("ui://coach/photos.html")
        await app.get_by_text("0 of 5 photos").wait_for()
        await app.locator("#file").set_input_files(
            {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": encode(photo)}
        )
        square = app.locator("#frame")
        await square.wait_for()
        box = await square.bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        await host.page.mouse.move(cx, cy)
        await host.page.mouse.wheel(0, -240)  # zoom in on the face
        await host.page.mouse.down()
        await host.page.mouse.move(cx + 20, cy + 30, steps=5)  # drag the photo a little
        await host.page.mouse.up()
        await square.focus()
        await host.page.keyboard.press("ArrowLeft")  # and nudge it with the keyboard
        await host.screenshot(f"photos_cropping_{width}")
        await app.get_by_role("button", name="Save photo").click()
        await settle(host, app, "Saved reference photo")
        await app.get_by_text("1 of 5 photos").wait_for()
        await host.screenshot(f"photos_saved_{width}")
        violations = await host.axe()

        [call] = [c for c in host.calls if c["name"] == "add_reference_photo"]
        crop = call["arguments"]["crop"]
        [record] = (await browser_app.photos.index("alice")).photos
        stored = Image.open(io.BytesIO(await browser_app.blobs.get(record.face_crop_key))).convert("RGB")
    sent = Image.open(io.BytesIO(base64.b64decode(call["arguments"]["image_base64"].partition(",")[2])))
    assert max(sent.size) == min(max(width, height), 2048)  # large photos are sent at 2048 px at most
    photo = photo.resize(sent.size)  # the crop box is in pixels of the photo sent
    assert crop["size"] < min(sent.size) * 0.6  # zoomed in
    assert (crop["x"] * 2 + crop["size"], crop["y"] * 2 + crop["size"]) != sent.size  # moved off-centre
    face = record.face_box  # the face found inside the chosen square, in photo pixels
    assert face is not None
    assert crop["x"] <= face["x"] and face["x"] + face["width"] <= crop["x"] + crop["size"]
    assert crop["y"] <= face["y"] and face["y"] + face["height"] <= crop["y"] + crop["size"]
    expected = photo.crop((crop["x"], crop["y"], crop["x"] + crop["size"], crop["y"] + crop["size"]))
    expected = expected.resize(stored.size)
    difference = np.abs(np.asarray(stored, float) - np.asarray(expected, float)).mean()
    assert difference < 8, f"stored crop differs from the chosen square by {difference:.1f} per channel"
    assert violations == []
    assert_clean(host)


async def test_a_refused_photo_shows_its_reason_next_to_it(browser_app: AppContext, tmp_path: Path) -> None:
    blank = Image.new("RGB", (800, 800), (120, 130, 140))
    async with hosting(browser_app, tmp_path) as host:
        app = await host.open("ui://coach/photos.html")
        await app.get_by_text("0 of 5 photos").wait_for()
        await app.locator("#file").set_input_files(
            {"name": "wall.jpg", "mimeType": "image/jpeg", "buffer": encode(blank)}
        )
        await app.get_by_role("button", name="Save photo").click()
        await settle(host, app, "not saved")
        reason = await app.locator("#refusal").inner_text()
        await host.screenshot("photos_refused")
    assert "face" in reason.lower()
    assert (await browser_app.photos.index("alice")).photos == []


async def test_a_person_answers_the_body_questions_with_the_keyboard(
    browser_app: AppContext, tmp_path: Path
) -> None:
    async with hosting(browser_app, tmp_path) as host:
        await host.client.call_tool("set_body_profile", {"height": "tall"})
        app = await host.open("ui://coach/body.html")
        await app.locator("#height-tall:checked").wait_for()  # current answers are filled in
        await app.get_by_role("button", name="Save answers").click()
        await settle(host, app, "Please choose an answer for: Gender, Build, Skin tone")
        await host.screenshot("body_missing")
        # Focus went to the first unanswered group; arrows choose within a radio group.
        await host.page.keyboard.press("Space")
        await host.page.keyboard.press("Tab")
        await host.page.keyboard.press("Tab")
        await host.page.keyboard.press("ArrowRight")  # build: athletic
        await host.page.keyboard.press("Tab")
        await host.page.keyboard.press("ArrowRight")
        await host.page.keyboard.press("ArrowRight")  # skin tone: medium
        await host.page.keyboard.press("Tab")
        await host.page.keyboard.press("Enter")
        await settle(host, app, "Saved")
        await host.screenshot("body_saved")
        violations = await host.axe()
        dark = await host.open("ui://coach/body.html", theme="dark")  # reopened: answers kept
        await dark.locator("#skin_tone-medium:checked").wait_for()
        await host.screenshot("body_dark")
        violations += await host.axe()
        profile = await browser_app.profiles.get("alice")
    assert (profile.gender, profile.height, profile.build, profile.skin_tone) == (
        "man",
        "tall",
        "athletic",
        "medium",
    )
    assert violations == []
    assert_clean(host)


async def make_images(host: Host) -> dict:
    added = await host.client.call_tool("add_reference_photo", {"image_base64": b64(encode(portrait()))})
    assert not added.is_error, added.content
    await host.client.call_tool(
        "set_body_profile", {"gender": "woman", "height": "tall", "build": "athletic", "skin_tone": "light"}
    )
    saved = await host.client.call_tool("save_identity", {"name": "The Speaker", "visualization": "On stage"})
    identity_id = saved.structured_content["identity_id"]
    arguments = {"identity_id": identity_id, "candidates": 2, "strategy": "generic_swap"}
    result = await host.client.call_tool("generate_identity_image", arguments)
    assert not result.is_error, result.content
    return {"arguments": arguments, "result": result}


@pytest.mark.parametrize("theme,deadline_s", [("light", 45.0), ("dark", 0.01)])
async def test_a_person_reviews_the_image_and_accepts_it(
    browser_app: AppContext, tmp_path: Path, theme: str, deadline_s: float
) -> None:
    """In dark, the run outlives its 0.01 s deadline: the app follows the pending run with get_run."""
    app_context = build_app(browser_app.settings.model_copy(update={"sync_deadline_s": deadline_s}), "http")
    async with hosting(app_context, tmp_path) as host:
        made = await make_images(host)
        out = made["result"].structured_content
        app = await host.open("ui://coach/review.html", made["arguments"], made["result"], theme=theme)
        await app.locator("#verdict").filter(has_text="likeness").wait_for(timeout=300_000)
        verdict = await app.locator("#verdict").inner_text()
        thumbs = await app.locator("#thumbs button").count()
        refine_shown = await app.get_by_role("button", name="Refine").is_visible()
        tools = {tool.name for tool in (await host.client.list_tools()).tools}
        await host.screenshot(f"review_{theme}")
        await app.get_by_role("button", name="Accept", exact=True).click()
        await settle(host, app, "Accepted")
        violations = await host.axe()
        identity = await app_context.docs.read(keys.identity("alice", out["identity_id"]), Identity)
    if deadline_s < 1:
        assert out["status"] == "pending" and "get_run" in [c["name"] for c in host.calls]
    assert "Looks like you" in verdict and "limit" in verdict
    assert thumbs == 2
    assert refine_shown == ("refine_identity_image" in tools)  # offered only where the server has it
    assert identity is not None and identity.accepted_image_id == identity.current_image_id is not None
    assert violations == []
    assert_clean(host)


async def test_an_image_that_needs_review_is_marked_and_accepted_only_after_confirming(
    browser_app: AppContext, tmp_path: Path
) -> None:
    strict = build_app(browser_app.settings.model_copy(update={"likeness_threshold": 0.01}), "http")
    async with hosting(strict, tmp_path) as host:  # nothing passes so strict a threshold
        made = await make_images(host)
        out = made["result"].structured_content
        app = await host.open("ui://coach/review.html", made["arguments"], made["result"])
        await app.locator("#verdict").filter(has_text="Needs review").wait_for(timeout=300_000)
        assert await app.get_by_text("Needs review: this may not look like you").is_visible()
        await app.get_by_role("button", name="Accept anyway…").click()
        await app.get_by_role("alertdialog").wait_for()
        await host.screenshot("review_needs_review_confirm")
        accepted_before = [c["name"] for c in host.calls].count("accept_identity_visualization")
        await app.get_by_role("button", name="Yes, accept it").click()
        await settle(host, app, "Accepted")
        identity = await strict.docs.read(keys.identity("alice", out["identity_id"]), Identity)
    assert out["needs_review"] in (True, None) and accepted_before == 0
    assert [c["name"] for c in host.calls].count("accept_identity_visualization") == 1
    assert identity is not None and identity.accepted_image_id is not None
    assert_clean(host)


async def test_a_person_picks_a_dog_job_from_the_grid(browser_app: AppContext, tmp_path: Path) -> None:
    async with hosting(browser_app, tmp_path) as host:
        for job in ("chef", "pilot"):
            made = await host.client.call_tool("dog_avatar", {"job": job})
            assert not made.is_error, made.content
        app = await host.open("ui://coach/dogs.html")
        grid = app.get_by_role("group", name="Jobs")
        await grid.get_by_role("button").nth(19).wait_for()
        cached = await grid.locator("img").count()
        placeholders = await grid.locator(".placeholder").count()
        await host.screenshot("dogs_grid")
        await grid.get_by_role("button", name="Support: not made yet").click()
        await settle(host, app, "Picked Support")
        await grid.get_by_role("button", name="Support: ready").wait_for()
        await host.screenshot("dogs_picked")
        await app.get_by_role("button", name="Make a new one").click()
        await settle(host, app, "Picked Support")
        violations = await host.axe()
        context = await host.page.evaluate("() => window.modelContext")
        dark = await host.open("ui://coach/dogs.html", theme="dark")
        await dark.get_by_role("button", name="Support: ready").wait_for()
        await host.screenshot("dogs_dark")
        violations += await host.axe()
    assert (cached, placeholders) == (2, 18)
    picks = [c["arguments"] for c in host.calls if c["name"] == "dog_avatar"]
    assert picks == [{"job": "support", "regenerate": False}, {"job": "support", "regenerate": True}]
    assert 'picked the "support" dog avatar' in context[0]["content"][0]["text"]
    assert violations == []
    assert_clean(host)


_ = anyio  # bounded waits are playwright's own timeouts here
