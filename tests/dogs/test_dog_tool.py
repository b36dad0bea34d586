"""dog_avatar over the MCP protocol, with the real OpenAI SDK talking to the fake Images API on loopback.

The service's own logic (best of two, white backgrounds, retry errors) is tested in test_service.py
with a scripted provider; these tests pin what crosses the two wires: the multipart request the
vendor receives and the tool result the coach receives.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import anyio
import pytest
from PIL import Image

from tests.conftest import Connect
from tests.dogs import fakes
from tests.dogs.conftest import HostedApp, mcp_client
from tests.fakes.fake_openai import FakeOpenAI, images_reply, usage_block
from tests.fakes.http_fake import Reply
from tool_server.dogs.base_image import builtin_base_png
from tool_server.generation.images import preview_jpeg
from tool_server.prompts.dog import PROMPT_VERSION
from tool_server.providers.capabilities import capabilities_for
from tool_server.providers.pricing import openai_cost
from tool_server.tools import dog as dog_tool

NO_LIMBS = "ABSOLUTELY NO LIMBS: remove any arms/hands/paws; show head/neck only."
USAGE = usage_block("medium", "1024x1024", 1, image_in=323)


def dog_reply(image: bytes, *, delay_s: float = 0.0) -> Reply:
    reply = images_reply([image], usage=USAGE)
    reply.delay_s = delay_s
    return reply


async def call(client: Any, **arguments: Any) -> Any:
    result = await client.call_tool("dog_avatar", arguments)
    assert not result.is_error, result.content
    return result


async def test_the_vendor_receives_an_edit_of_the_base_image_with_the_jobs_prompt(
    hosted_app: HostedApp, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(dog_reply(fakes.good_png()))
    async with mcp_client(hosted_app("openai")) as client:
        await call(client, job="support")

    [sent] = fake_openai.requests
    assert sent.path == "/v1/images/edits"
    [part] = sent.files
    assert (part.field, part.filename, part.content_type) == ("image[]", "dog_base.png", "image/png")
    assert part.data == builtin_base_png()
    params = fake_openai.params(sent)
    assert params["prompt"].startswith("Edit the input image.\n")
    assert params["prompt"].endswith("\nTransparent background.\nAccessory: tiny headset with mic")
    assert NO_LIMBS not in params["prompt"]
    assert (params["background"], params["output_format"], params["model"], params["size"]) == (
        "transparent",
        "png",
        "gpt-image-2",
        "1024x1024",
    )
    assert "response_format" not in params
    assert "input_fidelity" not in params  # gpt-image-2 answers 400 to it
    assert fake_openai.violations == []


@pytest.mark.parametrize(("model", "fidelity"), [("gpt-image-1.5", "high"), ("gpt-image-1-mini", None)])
async def test_input_fidelity_is_sent_only_to_models_that_take_it(
    hosted_app: HostedApp, fake_openai: FakeOpenAI, model: str, fidelity: str | None
) -> None:
    fake_openai.enqueue(dog_reply(fakes.good_png()))
    async with mcp_client(hosted_app("openai", model=model)) as client:
        result = await call(client, job="research")

    params = fake_openai.params(fake_openai.requests[0])
    assert params.get("input_fidelity") == fidelity
    assert (params["model"], result.structured_content["model"]) == (model, model)
    assert fake_openai.violations == []


async def test_the_result_has_the_seeds_fields_the_checks_the_cost_a_preview_and_a_readable_link(
    hosted_app: HostedApp, fake_openai: FakeOpenAI
) -> None:
    app = hosted_app("openai")
    fake_openai.enqueue(dog_reply(fakes.good_png()))
    async with mcp_client(app) as client:
        result = await call(client, job="Developer")
        text, preview, link = result.content
        linked = await client.read_resource(link.uri)

    data = result.structured_content
    key = data["image_key"]
    assert {k: data[k] for k in ("job", "size", "background", "cached", "prompt_version", "model")} == {
        "job": "developer",
        "size": "1024x1024",
        "background": "transparent",
        "cached": False,
        "prompt_version": PROMPT_VERSION,
        "model": "gpt-image-2",
    }
    assert data["image_url"] == await app.url_for(key)
    assert (data["needs_review"], data["failed_checks"], data["placeholder"]) == (False, [], False)
    assert {c["name"] for c in data["validation"] if c["passed"]} >= {"transparency", "monoline_style"}
    assert data["cost_usd"] == pytest.approx(
        openai_cost(capabilities_for("gpt-image-2", "openai").prices, USAGE)
    )
    assert data["cost_usd"] > 0
    assert "passed every style check" in text.text
    assert preview.mime_type == "image/jpeg"
    with Image.open(io.BytesIO(base64.b64decode(preview.data))) as small:
        assert max(small.size) <= 512
    assert (link.uri, link.mime_type) == (data["resource_uri"], "image/png")
    assert link.uri.startswith(f"coach://dogs/{PROMPT_VERSION}/developer.1024x1024.transparent.gpt-image-2.")
    assert base64.b64decode(linked.contents[0].blob) == fakes.good_png() == await app.blobs.get(key)


async def test_a_second_call_is_a_cache_hit_that_sends_no_request(
    hosted_app: HostedApp, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(dog_reply(fakes.good_png()))
    async with mcp_client(hosted_app("openai")) as client:
        first = await call(client, job="chef")
        second = await call(client, job="chef")

    assert len(fake_openai.requests) == 1
    assert (second.structured_content["cached"], second.structured_content["cost_usd"]) == (True, 0.0)
    assert second.structured_content["image_url"] == first.structured_content["image_url"]
    assert "from the cache (no cost)" in second.content[0].text


async def test_ten_concurrent_identical_calls_send_one_request(
    hosted_app: HostedApp, fake_openai: FakeOpenAI
) -> None:
    # The vendor takes a while, so all ten calls are in flight before the first answer arrives.
    fake_openai.enqueue(dog_reply(fakes.good_png(), delay_s=0.5))
    results: list[Any] = []
    async with mcp_client(hosted_app("openai")) as client:

        async def one() -> None:
            results.append(await call(client, job="pilot"))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as group:
                for _ in range(10):
                    group.start_soon(one)

    assert len(fake_openai.requests) == 1
    assert len({r.structured_content["image_url"] for r in results}) == 1
    assert sum(not r.structured_content["cached"] for r in results) >= 2  # shared the flight, not the cache


async def test_an_opaque_image_is_retried_once_with_the_no_limbs_addition_and_then_passes(
    hosted_app: HostedApp, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(dog_reply(fakes.opaque_png()), dog_reply(fakes.good_png()))
    async with mcp_client(hosted_app("openai")) as client:
        result = await call(client, job="teacher")

    first, retry = (fake_openai.params(r)["prompt"] for r in fake_openai.requests)
    assert NO_LIMBS not in first
    assert retry == first.replace("\nAccessory:", f"\n{NO_LIMBS}\nAccessory:")
    assert retry.endswith("\nAccessory: small graduation cap")
    data = result.structured_content
    assert (data["needs_review"], data["attempts"], data["failed_checks"]) == (False, 2, [])


async def test_a_generation_is_a_run_of_the_requesting_user_with_its_calls_cost_and_attempts(
    hosted_app: HostedApp, fake_openai: FakeOpenAI
) -> None:
    import json

    fake_openai.enqueue(dog_reply(fakes.opaque_png()), dog_reply(fakes.good_png()))
    app = hosted_app("openai")
    async with mcp_client(app) as client:
        made = await call(client, job="teacher")
        cached = await call(client, job="teacher")
        (run_id,) = await app.runs.list(app.settings.user)  # the cache hit made no run
        run = json.loads((await client.read_resource(f"coach://runs/{run_id}")).contents[0].text)
        polled = await client.call_tool("get_run", {"run_id": run_id})
    assert cached.structured_content["cached"] is True
    assert (run["kind"], run["status"], run["prompt_version"]) == ("dog_avatar", "done", PROMPT_VERSION)
    assert [step["name"] for step in run["steps"]] == ["01_attempt_1", "02_attempt_2"]
    assert len(run["calls"]) == 2 and run["result"]["cost_usd"] == made.structured_content["cost_usd"] > 0
    # The daily budget is summed from run records, so a dog avatar counts against it.
    assert await app.budget.spent_today(app.settings.user) == pytest.approx(run["result"]["cost_usd"])
    assert polled.structured_content["kind"] == "dog_avatar" and polled.structured_content["status"] == "done"


async def test_two_failures_store_the_image_flagged_for_review_with_the_failed_checks_named(
    hosted_app: HostedApp, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(dog_reply(fakes.opaque_png()), dog_reply(fakes.opaque_png()))
    app = hosted_app("openai")
    async with mcp_client(app) as client:
        result = await call(client, job="artist")

    data = result.structured_content
    assert (data["needs_review"], data["failed_checks"], data["attempts"]) == (True, ["transparency"], 2)
    assert "failed validation twice (transparency)" in result.content[0].text
    assert "regenerate=true" in result.content[0].text
    assert await app.blobs.get(data["image_key"]) == fakes.opaque_png()


async def test_a_painted_checkerboard_is_not_taken_for_transparency(
    hosted_app: HostedApp, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(dog_reply(fakes.checkerboard_png()), dog_reply(fakes.checkerboard_png()))
    async with mcp_client(hosted_app("openai")) as client:
        result = await call(client, job="legal")

    assert result.structured_content["needs_review"] is True
    assert {"transparency", "no_checkerboard"} <= set(result.structured_content["failed_checks"])


async def test_regenerate_replaces_the_cached_file_and_its_preview(
    hosted_app: HostedApp, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(
        dog_reply(fakes.good_png()), dog_reply(fakes.good_png(hat=True)), dog_reply(fakes.good_png())
    )
    app = hosted_app("openai")
    async with mcp_client(app) as client:
        first = await call(client, job="manager")
        renewed = await call(client, job="manager", regenerate=True)
        linked = await client.read_resource(renewed.structured_content["resource_uri"])
        after = await call(client, job="manager")
        # Another door (the HTTP route, the CLI) regenerates: the tool must not show the old preview.
        await app.dogs.get_avatar("manager", regenerate=True)
        latest = await call(client, job="manager")

    assert len(fake_openai.requests) == 3
    assert renewed.structured_content["cached"] is False
    assert renewed.structured_content["image_key"] == first.structured_content["image_key"]
    assert base64.b64decode(linked.contents[0].blob) == fakes.good_png(hat=True)
    assert after.structured_content["cached"] is True
    assert base64.b64decode(renewed.content[1].data) == preview_jpeg(fakes.good_png(hat=True))
    assert after.content[1].data == renewed.content[1].data
    assert latest.structured_content["cached"] is True
    assert base64.b64decode(latest.content[1].data) == preview_jpeg(fakes.good_png())


async def test_an_unknown_job_is_refused_with_the_valid_jobs_and_the_closest_before_any_request(
    hosted_app: HostedApp, fake_openai: FakeOpenAI
) -> None:
    async with mcp_client(hosted_app("openai")) as client:
        result = await client.call_tool("dog_avatar", {"job": "chefs"})

    assert result.is_error
    text = result.content[0].text
    assert "Did you mean 'chef'?" in text
    assert "Valid jobs: support, developer, data," in text and "artist, default" in text
    assert fake_openai.requests == []


async def test_a_provider_without_alpha_is_asked_for_white_and_the_background_is_removed(
    hosted_app: HostedApp, fake_gemini: Any
) -> None:
    from tests.fakes.fake_gemini import parts_reply, standard_parts

    fake_gemini.enqueue(
        parts_reply(standard_parts(fakes.jpeg(fakes.on_background(fakes.dog(), fakes.white())), "image/jpeg"))
    )
    app = hosted_app("gemini")
    async with mcp_client(app) as client:
        result = await call(client, job="qa")

    [sent] = fake_gemini.requests
    texts = [p.text for p in fake_gemini.sent_parts(sent) if p.kind == "text"]
    images = [p.data for p in fake_gemini.sent_parts(sent) if p.kind == "image"]
    assert images == [builtin_base_png()]
    assert "Plain solid white background" in texts[-1] and "Transparent background." not in texts[-1]
    data = result.structured_content
    assert (data["provider"], data["needs_review"]) == ("gemini", False)
    with Image.open(io.BytesIO(await app.blobs.get(data["image_key"]))) as stored:
        assert (stored.format, stored.mode, stored.getchannel("A").getpixel((0, 0))) == ("PNG", "RGBA", 0)


async def test_without_keys_the_offline_provider_answers_with_a_labelled_transparent_placeholder(
    connect: Connect,
) -> None:
    async with connect() as client:
        pilot = await call(client, job="pilot")
        plain = await call(client, job="default")
        pilot_png = base64.b64decode(
            (await client.read_resource(pilot.structured_content["resource_uri"])).contents[0].blob
        )
        plain_png = base64.b64decode(
            (await client.read_resource(plain.structured_content["resource_uri"])).contents[0].blob
        )

    data = pilot.structured_content
    assert (data["provider"], data["placeholder"], data["needs_review"], data["cost_usd"]) == (
        "offline",
        True,
        False,
        0.0,
    )
    assert "OFFLINE PLACEHOLDER" in pilot.content[0].text
    assert all(check["passed"] for check in data["validation"])
    with Image.open(io.BytesIO(pilot_png)) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (1024, 1024))
        assert image.getchannel("A").getpixel((0, 0)) == 0
    assert pilot_png != plain_png  # the cap is drawn


async def test_a_dog_resource_outside_the_cache_is_not_found(connect: Connect) -> None:
    from mcp import MCPError

    async with connect() as client:
        for uri in ("coach://dogs/dog-v2/missing.png", "coach://dogs/dog-v2/profile.json"):
            with pytest.raises(MCPError):
                await client.read_resource(uri)


async def test_a_slow_generation_reports_progress_so_clients_keep_waiting(
    hosted_app: HostedApp, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dog_tool, "HEARTBEAT_S", 0.05)
    fake_openai.enqueue(dog_reply(fakes.good_png(), delay_s=0.6))
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with mcp_client(hosted_app("openai")) as client:
        result = await client.call_tool("dog_avatar", {"job": "ops"}, progress_callback=on_progress)

    assert not result.is_error
    assert messages and all(m.startswith("making the dog avatar") for m in messages)
