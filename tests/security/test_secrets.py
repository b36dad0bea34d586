"""Secrets never leave the server: recognisable key values, every tool driven over HTTP, then every
tool result, resource, HTTP answer, log line and stored file is scanned for them."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.fakes.fake_openai import FakeOpenAI, error_reply, images_reply
from tests.generation.conftest import users_face
from tests.photo_files import encode, portrait
from tests.security.conftest import SECRET, ServeFor, mcp_client, mint
from tool_server.logs import json_handler
from tool_server.providers.recording import user_hash

OPENAI_KEY = "sk-proj-RECOGNISABLE-openai-7f3a9c2e11d04b6b"
GEMINI_KEY = "AIzaRECOGNISABLE-gemini-51b2c3d4e5f6a7b8"
SECRETS = (OPENAI_KEY, GEMINI_KEY, SECRET)

State = dict[str, Any]
# Every tool, in an order that works, with its arguments from what earlier calls returned.
DRIVE: list[tuple[str, Callable[[State], dict[str, Any]]]] = [
    ("add_reference_photo", lambda s: {"image_base64": s["photo"], "filename": "me.jpg"}),
    ("list_reference_photos", lambda s: {}),
    (
        "set_body_profile",
        lambda s: {"gender": "woman", "height": "tall", "build": "athletic", "skin_tone": "light"},
    ),
    (
        "save_identity",
        lambda s: {"name": "Speaker", "visualization": "Giving a keynote", "i_am_statement": "I am"},
    ),
    ("list_identities", lambda s: {}),
    (
        "generate_identity_image",
        lambda s: {"identity_id": s["identity_id"], "candidates": 1, "strategy": "direct"},
    ),
    ("get_run", lambda s: {"run_id": s["run_id"]}),
    ("accept_identity_visualization", lambda s: {"identity_id": s["identity_id"]}),
    ("refine_identity_image", lambda s: {"image_id": s["image_id"], "instruction": "smile", "candidates": 1}),
    ("generate_all_identity_images", lambda s: {"candidates": 1, "strategy": "direct"}),
    ("generate_avatar", lambda s: {"candidates": 1}),
    ("approve_avatar", lambda s: {"avatar_id": s["avatar_id"]}),
    ("face_swap", lambda s: {"target_image_id": s["image_id"]}),
    ("dog_avatar", lambda s: {"job": "teacher"}),
    ("remove_reference_photo", lambda s: {"photo_id": s["photo_id"]}),
    ("delete_my_data", lambda s: {"confirm": True}),
]


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = json_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _leaks(text: str) -> list[str]:
    return [secret[:12] + "..." for secret in SECRETS if secret in text]


async def test_no_secret_appears_in_results_logs_or_stored_files(
    serve: ServeFor, tmp_path: Path, log_lines: io.StringIO
) -> None:
    outputs: list[str] = []
    state: State = {"photo": base64.b64encode(encode(portrait())).decode()}
    with (
        FakeOpenAI() as fake,
        serve(
            provider="openai",
            provider_fallback=["openai"],
            openai_api_key=OPENAI_KEY,
            openai_base_url=fake.base_url,
            gemini_api_key=GEMINI_KEY,
            provider_max_retries=0,
        ) as server,
    ):
        # A vendor error that quotes the key back (as a careless proxy might) must not pass through.
        fake.enqueue(
            error_reply(401, f"Incorrect API key provided: {OPENAI_KEY}.", code="invalid_api_key"),
            images_reply([users_face()]),
        )
        token = mint("coach-user")
        async with mcp_client(server, token) as client:
            listed = {tool.name for tool in (await client.list_tools()).tools}
            assert listed == {name for name, _ in DRIVE}, (
                "add the new tool(s) to DRIVE so this test covers them: "
                + str(listed ^ {n for n, _ in DRIVE})
            )
            for name, args in DRIVE:
                if name == "generate_identity_image":
                    failed = await client.call_tool(name, args(state))
                    assert failed.is_error
                    outputs.append(json.dumps(failed.model_dump(mode="json")))
                if name == "generate_avatar":
                    fake.enqueue(images_reply([users_face()]), images_reply([users_face()]))
                if name in ("face_swap", "refine_identity_image"):
                    fake.enqueue(images_reply([users_face()]))
                if name == "delete_my_data":
                    stored = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
                    assert len(stored) > 5
                    for path in stored:
                        assert not _leaks(path.read_bytes().decode("latin-1")), path
                    for uri in ("coach://me/photo_url", "coach://me/body_profile"):
                        outputs.append(json.dumps((await client.read_resource(uri)).model_dump(mode="json")))
                    for uri in (
                        f"coach://identities/{state['identity_id']}",
                        f"coach://images/{state['image_id']}",
                    ):
                        outputs.append(json.dumps((await client.read_resource(uri)).model_dump(mode="json")))
                    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
                        outputs.append((await http.get(f"{server.url}/metrics")).text)
                result = await client.call_tool(name, args(state))
                assert not result.is_error, (name, result.content)
                outputs.append(json.dumps(result.model_dump(mode="json")))
                found = result.structured_content or {}
                for key in ("identity_id", "run_id", "image_id", "photo_id"):
                    if found.get(key):
                        state[key] = found[key]
                if found.get("best_avatar_id"):
                    state["avatar_id"] = found["best_avatar_id"]
                if name == "add_reference_photo":
                    async with httpx2.AsyncClient() as http:
                        served = await http.get(found["url"])
                    assert served.status_code == 200
                    outputs.append(served.content.decode("latin-1"))
        # identity image: a refused call and a good one; refine: one; avatar: headshot + full body;
        # swap: one; dog: the 8x8 default answer fails validation, so one retry.
        assert len(fake.requests) == 8
    logs = log_lines.getvalue()
    for output in outputs:
        assert not _leaks(output), output[:300]
    assert not _leaks(logs)
    left = [p for p in (tmp_path / "data").rglob("*") if p.is_file() and ".locks" not in p.parts]
    # What is left is the dog-avatar cache, which all users share and which holds no one's data.
    assert left and all(p.relative_to(tmp_path / "data").parts[:2] == ("cache", "dog") for p in left), left
    # The server's log lines are JSON and name the user only by hash, with the run id where there is one.
    entries = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    server_side = [e for e in entries if not e["logger"].startswith(("httpx2", "httpcore2", "mcp.client"))]
    assert server_side and "coach-user" not in json.dumps(server_side)
    assert any(
        e.get("user") == user_hash("coach-user") and e.get("run_id") == state["run_id"] for e in entries
    )
