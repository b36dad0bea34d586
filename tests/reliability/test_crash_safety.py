"""Crash safety: the real server process killed with SIGKILL in the middle of a generation.

`python -m tool_server` runs over stdio (the real mcp stdio client), the fake OpenAI server takes
its time to draw, and the server is killed while it waits. After a restart every document still
parses, the photos and the accepted image are byte for byte the same, and get_run reports the run
as interrupted.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.fakes.fake_openai import FakeOpenAI, images_reply
from tests.fakes.http_fake import Reply
from tests.generation.conftest import users_face
from tests.reliability.conftest import (
    USER,
    Seeded,
    identity_doc,
    provider_is_drawing,
    stored_files,
    unreadable_documents,
)

pytestmark = pytest.mark.slow


def server_params(seeded: Seeded, fake: FakeOpenAI) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_IMAGE_")}
    env.update(
        COACH_IMAGE_STORAGE_URL=str(seeded.root),
        COACH_IMAGE_USER=USER,
        COACH_IMAGE_PROVIDER="openai",
        COACH_IMAGE_PROVIDER_FALLBACK='["openai"]',
        COACH_IMAGE_PROVIDER_MAX_RETRIES="0",
        COACH_IMAGE_MAX_ATTEMPTS="1",
        COACH_IMAGE_SYNC_DEADLINE_S="1",
        COACH_IMAGE_RUN_LEASE_S="1",  # a killed server's run reads interrupted a second later
        OPENAI_API_KEY="sk-test-not-a-real-key",
        OPENAI_BASE_URL=fake.base_url,
    )
    return StdioServerParameters(
        command=sys.executable, args=["-m", "tool_server"], env=env, cwd=str(seeded.root.parent)
    )


def kept_files(root: Path, seeded: Seeded) -> dict[str, str]:
    """The photos (and their face crops) and the accepted image, with their hashes."""
    files = stored_files(root)
    return {
        name: digest
        for name, digest in files.items()
        if name.startswith(f"users/{USER}/photos/") or f"/{seeded.accepted_image_id}." in name
    }


async def test_sigkill_mid_generation_loses_nothing_and_the_run_reads_interrupted(
    seeded: Seeded, fake_openai: FakeOpenAI
) -> None:
    kept_before = kept_files(seeded.root, seeded)
    identity_before = identity_doc(seeded.root, seeded.identity_id)
    assert any(name.endswith(".jpg") for name in kept_before) and any(".png" in n for n in kept_before)
    fake_openai.enqueue(Reply(200, images_reply([users_face()]).json, delay_s=60))
    params = server_params(seeded, fake_openai)

    with anyio.fail_after(60):
        try:
            async with Client(params) as client:
                first = await client.call_tool(
                    "generate_identity_image",
                    {"identity_id": seeded.identity_id, "candidates": 1, "strategy": "direct"},
                )
                assert first.structured_content["status"] == "pending", first.content
                run_id = first.structured_content["run_id"]
                await provider_is_drawing(fake_openai)
                record = json.loads((seeded.root / f"users/{USER}/runs/{run_id}/run.json").read_text())
                assert record["status"] == "running"
                os.kill(record["owner_pid"], signal.SIGKILL)
                await anyio.sleep(0.2)
        except Exception as closing:  # the transport may complain that its process vanished
            assert "pending" not in repr(closing)

    assert unreadable_documents(seeded.root) == []
    assert kept_files(seeded.root, seeded) == kept_before
    assert identity_doc(seeded.root, seeded.identity_id) == identity_before

    fake_openai.enqueue(images_reply([users_face()]))
    with anyio.fail_after(60):
        async with Client(server_params(seeded, fake_openai)) as client:
            polled = await client.call_tool("get_run", {"run_id": run_id})
            while polled.structured_content["status"] == "running":  # until its lease lapses
                await anyio.sleep(0.2)
                polled = await client.call_tool("get_run", {"run_id": run_id})
            again = await client.call_tool(
                "generate_identity_image",
                {"identity_id": seeded.identity_id, "candidates": 1, "strategy": "direct"},
            )
            final = again.structured_content
            while final["status"] == "pending":  # scoring may outlast the 1 s deadline
                await anyio.sleep(0.2)
                polled_again = await client.call_tool("get_run", {"run_id": final["run_id"]})
                final = polled_again.structured_content["identity_image"]
    out = polled.structured_content
    assert out["status"] == "interrupted", polled.content
    assert "Run it again" in out["message"]
    stored = json.loads((seeded.root / f"users/{USER}/runs/{run_id}/run.json").read_text())
    assert stored["status"] == "interrupted"  # written back, so every later reader agrees
    assert final["status"] == "done", final
    identity = identity_doc(seeded.root, seeded.identity_id)
    assert identity["accepted_image_id"] == seeded.accepted_image_id
    assert identity["current_image_id"] == final["image_id"]
    assert unreadable_documents(seeded.root) == []
