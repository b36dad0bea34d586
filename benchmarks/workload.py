"""What the in-process benchmarks share: the fake provider process, settings, a user ready to generate."""

from __future__ import annotations

import base64
import gc
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp import Client

from tool_server.app import AppContext, build_app
from tool_server.launch import freeze_startup_heap
from tool_server.server import create_server
from tool_server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class FakeProvider:
    """A running `benchmarks.fake_provider` process; `requests` is filled in when it stops."""

    base_url: str
    process: subprocess.Popen[str]
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return int(self.stats.get("requests", -1))


@contextmanager
def fake_provider(delay_s: float = 0.0, picture: str = "scene") -> Iterator[FakeProvider]:
    """Start the fake OpenAI in its own process; stop it on exit and read how many requests it served."""
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.fake_provider", "--delay", str(delay_s), "--picture", picture],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])},
    )
    assert process.stdin is not None and process.stdout is not None
    base_url = process.stdout.readline().strip()
    if not base_url.startswith("http"):
        process.kill()
        raise RuntimeError("the fake provider did not start (see its error above)")
    provider = FakeProvider(base_url, process)
    try:
        yield provider
    finally:
        out, _ = process.communicate("", timeout=30)
        last = out.strip().splitlines()[-1] if out.strip() else "{}"
        provider.stats = json.loads(last)


def bench_settings(storage: Path, base_url: str, **overrides: Any) -> Settings:
    """OpenAI pointed at the fake, one candidate, no retries, no cap below the concurrency we test."""
    values: dict[str, Any] = {
        "storage_url": str(storage),
        "user": "bench",
        "provider": "openai",
        "provider_fallback": ["openai"],
        "openai_api_key": "sk-bench-not-a-real-key",
        "openai_base_url": base_url,
        "openai_model": "gpt-image-2",
        "provider_max_retries": 0,
        "provider_max_concurrency": 32,
        "default_candidates": 1,
        "log_level": "ERROR",
        **overrides,
    }
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def in_process_client(app: AppContext) -> AsyncIterator[Client]:
    """A real MCP client session on the server, in this process (no subprocess, no pipes)."""
    server = create_server(app.settings, app.transport, app=app)
    gc.collect()  # not timed: so that no garbage of earlier benchmarks is frozen with the rest
    freeze_startup_heap()  # as the real entry point does after start-up (tool_server.launch)
    async with Client(server, raise_exceptions=True) as client:
        yield client


def reference_photo_base64(tint: tuple[int, int, int] | None = None) -> str:
    """The user's photo as add_reference_photo takes it; another `tint` makes another file."""
    from benchmarks.fake_provider import users_face
    from tests.photo_files import portrait

    buffer = io.BytesIO()
    (portrait(colour=tint) if tint else users_face()).save(buffer, format="JPEG", quality=90)
    return base64.b64encode(buffer.getvalue()).decode()


async def prepare_user(client: Client) -> str:
    """One reference photo, a complete body profile and an identity; returns the identity_id."""
    added = await client.call_tool("add_reference_photo", {"image_base64": reference_photo_base64()})
    if added.is_error:
        raise RuntimeError(f"add_reference_photo failed: {added.content}")
    await client.call_tool(
        "set_body_profile", {"gender": "woman", "height": "tall", "build": "athletic", "skin_tone": "light"}
    )
    saved = await client.call_tool(
        "save_identity",
        {
            "name": "The Speaker",
            "visualization": "Giving a keynote on a big stage",
            "i_am_statement": "I am bold",
        },
    )
    if saved.is_error or saved.structured_content is None:
        raise RuntimeError(f"save_identity failed: {saved.content}")
    return str(saved.structured_content["identity_id"])


def build_bench_app(storage: Path, base_url: str, **overrides: Any) -> AppContext:
    return build_app(bench_settings(storage, base_url, **overrides), "stdio")


GENERATE_ARGS = {"candidates": 1, "size": "1024x1024", "strategy": "direct"}
