"""Provider faults through the real tool path: generate_identity_image over an MCP client, fake vendors.

Each fault ends in a clear error or a retried success; the run record says which; a failed run
leaves the identity's current and accepted images as they were and adds no image documents.
(The adapters' own fault handling is pinned in tests/providers/test_openai_faults.py.)
"""

from __future__ import annotations

import base64
import io
from typing import Any

import anyio
import pytest
from mcp import Client
from PIL import Image

from tests.fakes import fake_gemini
from tests.fakes.fake_gemini import FakeGemini
from tests.fakes.fake_openai import (
    FakeOpenAI,
    error_reply,
    images_reply,
    moderation_reply,
    quota_reply,
    rate_limit_reply,
)
from tests.fakes.http_fake import Reply
from tests.generation.conftest import users_face
from tests.reliability.conftest import (
    USER,
    Seeded,
    hosted_app,
    identity_doc,
    new_runs,
    openai_app,
    orphans,
    provider_is_drawing,
    stored_files,
    unreadable_documents,
)
from tool_server.app import AppContext
from tool_server.runs import RunRecord
from tool_server.server import create_server


def truncated_png() -> bytes:
    """A PNG whose magic bytes and header are right but whose pixel data stops half way."""
    buffer = io.BytesIO()
    Image.effect_noise((256, 256), 60).convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


def face_body() -> dict[str, Any]:
    return dict(images_reply([users_face()]).json)


SERVER_ERROR = error_reply(500, "The server had an error while processing your request.", type="server_error")
TIMEOUT = Reply(delay_s=3.0)  # longer than the 1 s provider timeout of these tests

# Each glitch is followed by a good answer: the tool must retry and succeed.
RECOVERABLE = {
    "429-retry-after": rate_limit_reply(retry_after_ms="50"),
    "500": SERVER_ERROR,
    "timeout": TIMEOUT,
    "reset-before-reply": Reply(reset=True),
    "reset-mid-body": Reply(200, face_body(), reset_after_bytes=4000),
    "malformed-json": Reply(200, body=b'{"created": 1, "data": [{"b64_json": "iVBOR'),
    "bad-base64": Reply(200, {"created": 1, "data": [{"b64_json": "%%% not base64 %%%"}]}),
    "truncated-image": Reply(
        200, {"created": 1, "data": [{"b64_json": base64.b64encode(truncated_png()).decode()}]}
    ),
}

# Each fault repeats every time (or is final at once): the tool must fail cleanly.
FINAL = {
    "429-every-time": ([rate_limit_reply(retry_after_ms="10")] * 3, "rate-limited", 3),
    "500-every-time": ([SERVER_ERROR] * 3, "failed with 500", 3),
    "timeout-every-time": ([TIMEOUT] * 3, "did not answer within", 3),
    "reset-mid-body-every-time": ([Reply(200, face_body(), reset_after_bytes=100)] * 3, "OpenAI", 3),
    "bad-base64-every-time": (
        [Reply(200, {"created": 1, "data": [{"b64_json": "@@@"}]})] * 3,
        "unreadable image",
        3,
    ),
    "moderation-block": ([moderation_reply("input", ("violence",))], "rephrase", 1),
    "insufficient-quota": ([quota_reply()], "out of quota", 1),
    "retry-after-too-long": ([rate_limit_reply(retry_after="900")], "wait 900 s", 1),
}


async def generate(app: AppContext, identity_id: str, **arguments: Any) -> Any:
    async with Client(create_server(app.settings, "stdio", app=app), raise_exceptions=True) as client:
        return await client.call_tool(
            "generate_identity_image",
            {"identity_id": identity_id, "candidates": 1, "strategy": "direct", **arguments},
        )


async def only_run(app: AppContext, seeded: Seeded) -> RunRecord:
    [record] = await new_runs(app, seeded)
    return record


@pytest.mark.parametrize("glitch", RECOVERABLE.values(), ids=RECOVERABLE.keys())
async def test_a_transient_fault_is_retried_and_the_run_records_the_extra_attempt(
    seeded: Seeded, fake_openai: FakeOpenAI, glitch: Reply
) -> None:
    app = openai_app(seeded, fake_openai)
    fake_openai.enqueue(glitch, images_reply([users_face()]))

    result = await generate(app, seeded.identity_id)

    assert not result.is_error, result.content
    out = result.structured_content
    assert out["status"] == "done" and out["likeness"]["passed"] is True
    assert len(fake_openai.requests) == 2
    record = await only_run(app, seeded)
    assert record.status == "done" and record.error is None
    [call] = record.calls
    assert call["attempts"] == 2 and call["error"] is None
    identity = identity_doc(seeded.root, seeded.identity_id)
    assert identity["current_image_id"] == out["image_id"]
    assert identity["accepted_image_id"] == seeded.accepted_image_id  # never replaced
    assert orphans(seeded.root, seeded.identity_id) == []
    assert unreadable_documents(seeded.root) == []


@pytest.mark.parametrize(("replies", "says", "requests"), FINAL.values(), ids=FINAL.keys())
async def test_a_lasting_fault_fails_clearly_and_changes_nothing_but_the_run_record(
    seeded: Seeded, fake_openai: FakeOpenAI, replies: list[Reply], says: str, requests: int
) -> None:
    app = openai_app(seeded, fake_openai)
    fake_openai.enqueue(*replies)
    before = stored_files(seeded.root)

    result = await generate(app, seeded.identity_id)

    assert result.is_error
    text = result.content[0].text
    assert says in text and any(w in text for w in ("again", "rephrase", "another provider", "operator")), (
        text
    )
    assert len(fake_openai.requests) == requests
    record = await only_run(app, seeded)
    assert record.status == "failed" and record.error and says in record.error
    [call] = record.calls
    assert call["error_kind"] and call["attempts"] == requests
    after = stored_files(seeded.root)
    changed = {k for k in after.keys() | before.keys() if after.get(k) != before.get(k)}
    assert changed and all(k.startswith(f"users/{USER}/runs/{record.run_id}/") for k in changed)


async def test_one_candidate_blocked_and_one_made_gives_the_made_one_and_lists_the_error(
    seeded: Seeded, fake_openai: FakeOpenAI
) -> None:
    app = openai_app(seeded, fake_openai)
    fake_openai.enqueue(moderation_reply(), images_reply([users_face()]))

    result = await generate(app, seeded.identity_id, candidates=2)

    assert not result.is_error, result.content
    record = await only_run(app, seeded)
    assert record.status == "done" and len(record.calls) == 2
    assert sorted(str(c["error_kind"]) for c in record.calls) == ["None", "ProviderBlocked"]
    assert record.result is not None and any("safety system" in e for e in record.result["errors"])
    assert orphans(seeded.root, seeded.identity_id) == []


@pytest.fixture
def fake_gemini_server() -> Any:
    with FakeGemini() as fake:
        yield fake


def gemini_app(seeded: Seeded, fake: FakeGemini) -> AppContext:
    return hosted_app(
        seeded,
        provider="gemini",
        provider_fallback=["gemini"],
        gemini_api_key="gemini-test-not-a-real-key",
        gemini_base_url=fake.base_url,
    )


async def test_gemini_rate_limit_with_retry_info_is_retried_then_succeeds(
    seeded: Seeded, fake_gemini_server: FakeGemini
) -> None:
    app = gemini_app(seeded, fake_gemini_server)
    fake_gemini_server.enqueue(
        fake_gemini.error_reply(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", retry_delay="0.05s"),
        fake_gemini.parts_reply(fake_gemini.standard_parts(users_face())),
    )

    result = await generate(app, seeded.identity_id)

    assert not result.is_error, result.content
    record = await only_run(app, seeded)
    assert record.status == "done" and record.calls[0]["attempts"] == 2
    assert [s.kind for s in record.steps] == ["thought", "candidate"]


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        (fake_gemini.finish_reply("IMAGE_SAFETY"), "safety filter"),
        (fake_gemini.prompt_block_reply(), "blocked the prompt"),
        (fake_gemini.error_reply(503, "UNAVAILABLE", "The model is overloaded."), "503"),
    ],
    ids=["image-safety", "prompt-block", "503-every-time"],
)
async def test_gemini_faults_fail_clearly_and_leave_the_identity_alone(
    seeded: Seeded, fake_gemini_server: FakeGemini, reply: Reply, says: str
) -> None:
    app = gemini_app(seeded, fake_gemini_server)
    fake_gemini_server.enqueue(reply, reply, reply)
    before = identity_doc(seeded.root, seeded.identity_id)

    result = await generate(app, seeded.identity_id)

    assert result.is_error and says in result.content[0].text, result.content
    record = await only_run(app, seeded)
    assert record.status == "failed" and record.calls[0]["error_kind"]
    assert identity_doc(seeded.root, seeded.identity_id) == before
    assert orphans(seeded.root, seeded.identity_id) == []


async def test_an_identity_deleted_mid_run_fails_the_run_and_removes_the_images_it_saved(
    seeded: Seeded, fake_openai: FakeOpenAI
) -> None:
    app = openai_app(seeded, fake_openai)
    fake_openai.enqueue(Reply(200, images_reply([users_face()]).json, delay_s=0.5))
    images_before = [n for n in stored_files(seeded.root) if n.startswith(f"users/{USER}/images/")]
    outcome: dict[str, Any] = {}

    async with anyio.create_task_group() as group:

        async def run() -> None:
            outcome["result"] = await generate(app, seeded.identity_id)

        group.start_soon(run)
        await provider_is_drawing(fake_openai)
        (seeded.root / f"users/{USER}/identities/{seeded.identity_id}.json").unlink()

    result = outcome["result"]
    assert result.is_error and "deleted during the run" in result.content[0].text
    images_after = [n for n in stored_files(seeded.root) if n.startswith(f"users/{USER}/images/")]
    assert images_after == images_before  # the candidate saved as an image was removed again
    record = await only_run(app, seeded)
    assert record.status == "failed" and record.error_kind == "PreconditionMissing"
    assert unreadable_documents(seeded.root) == []


async def test_out_of_quota_with_the_default_fallback_ends_in_an_operator_error_not_an_offline_composite(
    seeded: Seeded, fake_openai: FakeOpenAI
) -> None:
    # The attack: only OpenAI configured, default fallback order, the account runs out of credit.
    app = hosted_app(
        seeded,
        openai_api_key="sk-test-not-a-real-key",
        openai_base_url=fake_openai.base_url,
        gemini_api_key=None,
    )
    fake_openai.enqueue(quota_reply())
    before = stored_files(seeded.root)

    result = await generate(app, seeded.identity_id)

    assert result.is_error, result.content
    text = result.content[0].text
    assert "out of quota" in text and "operator" in text and "do not retry" in text, text
    assert "Describe the scene" not in text and "likeness" not in text
    record = await only_run(app, seeded)
    assert record.status == "failed" and [c["provider"] for c in record.calls] == ["openai"]
    assert record.calls[0]["error_kind"] == "ProviderAccountError"
    added = set(stored_files(seeded.root)) - set(before)
    assert all(k.startswith(f"users/{USER}/runs/{record.run_id}/") for k in added)
