"""Fixtures for the fault, crash and fuzz tests: a user whose identity already has an accepted image.

Making that user (a reference photo through face analysis, one generation, an accept) takes a few
seconds, so it is made once per session with the offline provider and copied into each test's
storage directory.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.fakes.fake_openai import FakeOpenAI
from tests.generation.conftest import prepare_user
from tool_server.app import AppContext, build_app
from tool_server.providers import ProviderRegistry, RetryPolicy
from tool_server.runs import RunRecord
from tool_server.server import create_server
from tool_server.settings import Settings

USER = "alice"
FAST_RETRIES = RetryPolicy(
    attempts=3, initial_backoff_s=0.01, max_backoff_s=0.02, max_retry_after_s=5.0, timeout_s=1.0
)


@dataclass(frozen=True)
class Seeded:
    """A storage directory holding one user with a photo and an identity with an accepted image."""

    root: Path
    identity_id: str
    accepted_image_id: str
    seed_runs: tuple[str, ...] = ()


async def _seed(root: Path) -> Seeded:
    settings = Settings(storage_url=str(root), user=USER, provider="offline", _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, "stdio")
    async with Client(create_server(settings, "stdio", app=app), raise_exceptions=True) as client:
        identity_id = await prepare_user(client)
        made = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 2}
        )
        assert not made.is_error and made.structured_content["needs_review"] is False, made.content
        accepted = await client.call_tool("accept_identity_visualization", {"identity_id": identity_id})
        assert not accepted.is_error, accepted.content
    runs = tuple(await app.runs.list(USER))
    return Seeded(root, identity_id, accepted.structured_content["accepted_image_id"], runs)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    root = tmp_path_factory.mktemp("seeded") / "data"
    return anyio.run(_seed, root)


@pytest.fixture
def seeded(seeded_template: Seeded, tmp_path: Path) -> Seeded:
    """A private copy of the seeded storage for one test."""
    root = tmp_path / "data"
    shutil.copytree(seeded_template.root, root)
    return Seeded(
        root, seeded_template.identity_id, seeded_template.accepted_image_id, seeded_template.seed_runs
    )


async def new_runs(app: AppContext, seeded: Seeded) -> list[RunRecord]:
    """The run records made since the seeding, oldest first."""
    ids = [r for r in await app.runs.list(USER) if r not in seeded.seed_runs]
    records = [await app.runs.get(USER, run_id) for run_id in ids]
    return sorted(records, key=lambda r: r.created_at)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def hosted_app(seeded: Seeded, retry_policy: RetryPolicy = FAST_RETRIES, **overrides: Any) -> AppContext:
    """An app on the seeded storage whose provider registry retries fast."""
    values: dict[str, Any] = {"storage_url": str(seeded.root), "user": USER, "max_attempts": 1, **overrides}
    settings = Settings(_env_file=None, **values)
    app = build_app(settings, "stdio")
    app.providers = ProviderRegistry(settings, face_swapper=app.faces.swap_bytes, retry_policy=retry_policy)
    return app


def openai_app(seeded: Seeded, fake: FakeOpenAI, **overrides: Any) -> AppContext:
    return hosted_app(
        seeded,
        provider="openai",
        provider_fallback=["openai"],
        openai_api_key="sk-test-not-a-real-key",
        openai_base_url=fake.base_url,
        **overrides,
    )


def stored_files(root: Path) -> dict[str, str]:
    """Every object under a local storage root (lock and temp files left out) with its SHA-256."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            found[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def unreadable_documents(root: Path) -> list[str]:
    """JSON documents under `root` that do not parse (must always be empty)."""
    broken = []
    for name in stored_files(root):
        if name.endswith(".json"):
            try:
                json.loads((root / name).read_text())
            except (ValueError, UnicodeDecodeError):
                broken.append(name)
    return broken


def identity_doc(root: Path, identity_id: str) -> dict[str, Any]:
    return dict(json.loads((root / "users" / USER / "identities" / f"{identity_id}.json").read_text()))


def orphans(root: Path, identity_id: str) -> list[str]:
    """Generated images (bytes or record) that no identity refers to."""
    owned = set(identity_doc(root, identity_id)["image_ids"])
    images = [n for n in stored_files(root) if n.startswith(f"users/{USER}/images/")]
    return [n for n in images if n.rsplit("/", 1)[1].split(".", 1)[0] not in owned]


async def provider_is_drawing(fake: FakeOpenAI, timeout_s: float = 20) -> None:
    """Return once the fake vendor has received a request (the generation is mid-way)."""
    with anyio.fail_after(timeout_s):
        while True:
            if fake.requests:
                return
            await anyio.sleep(0.02)
