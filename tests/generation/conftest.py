"""Identity-image fixtures: a user with a real reference photo, and the fake OpenAI server."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.conftest import Connect
from tests.fakes.fake_openai import FakeOpenAI
from tests.photo_files import encode, portrait
from tests.photos import astronaut
from tool_server.app import AppContext, build_app
from tool_server.settings import Settings


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def openai_settings(tmp_path: Path, fake_openai: FakeOpenAI) -> Settings:
    return Settings(  # type: ignore[call-arg]
        storage_url=str(tmp_path / "data"),
        user="alice",
        provider="openai",
        provider_fallback=["openai"],
        openai_api_key="sk-test-not-a-real-key",
        openai_base_url=fake_openai.base_url,
        openai_model="gpt-image-2",
        provider_max_retries=0,
        _env_file=None,
    )


@pytest.fixture
def openai_app(openai_settings: Settings) -> AppContext:
    return build_app(openai_settings, "stdio")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def scene_with(face: Image.Image, size: int = 1024) -> bytes:
    """A PNG 'generated image' with the given face in it, as a provider would return."""
    canvas = Image.new("RGB", (size, size), (200, 210, 230))
    face = face.copy()
    face.thumbnail((600, 600))
    canvas.paste(face, ((size - face.width) // 2, (size - face.height) // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def users_face() -> bytes:
    return scene_with(portrait(600, 600))


def another_persons_face() -> bytes:
    return scene_with(astronaut().crop((100, 0, 340, 240)).resize((600, 600)))


async def prepare_user(client: Any, *, profile: bool = False) -> str:
    """A user with one reference photo and an identity; returns the identity_id."""
    added = await client.call_tool("add_reference_photo", {"image_base64": b64(encode(portrait()))})
    assert not added.is_error, added.content
    if profile:
        await client.call_tool(
            "set_body_profile",
            {"gender": "woman", "height": "tall", "build": "athletic", "skin_tone": "light"},
        )
    saved = await client.call_tool(
        "save_identity",
        {
            "name": "The Speaker",
            "visualization": "Giving a keynote on a big stage",
            "i_am_statement": "I am bold",
        },
    )
    return str(saved.structured_content["identity_id"])


__all__ = ["Connect", "another_persons_face", "b64", "prepare_user", "users_face"]
