"""`POST /api/v1/avatars/dog` over real HTTP: uvicorn on a free loopback port, an HTTP client, JSON."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx2
import pytest
import uvicorn
from mcp import Client

from tests.dogs import fakes
from tests.fakes.fake_openai import FakeOpenAI, images_reply, quota_reply
from tool_server.app import AppContext, build_app
from tool_server.dogs.jobs import job_names
from tool_server.server import create_server
from tool_server.settings import Settings

PATH = "/api/v1/avatars/dog"
SEED_FIELDS = {"job", "size", "background", "image_url", "cached", "prompt_version", "model", "needs_review"}


@asynccontextmanager
async def serving(app: AppContext) -> AsyncIterator[httpx2.AsyncClient]:
    """The HTTP transport's ASGI app under uvicorn on 127.0.0.1:<free port>, and a client for it."""
    server = create_server(app.settings, "http", app=app)
    config = uvicorn.Config(server.streamable_http_app(), log_level="warning", lifespan="on", ws="none")
    web = uvicorn.Server(config)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # requests wait in the backlog until uvicorn accepts: no start-up polling
    port = listener.getsockname()[1]
    async with anyio.create_task_group() as group:
        group.start_soon(web.serve, [listener])
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
        web.should_exit = True
    listener.close()


def http_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"storage_url": str(tmp_path / "data"), "user": "web", "provider": "offline"}
    return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def http_app(tmp_path: Path) -> AppContext:
    return build_app(http_settings(tmp_path), "http")


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


async def test_the_seeds_request_gets_the_seeds_response_and_a_second_one_is_cached(
    http_app: AppContext,
) -> None:
    async with serving(http_app) as client:
        first = await client.post(PATH, json={"job": "support", "size": "1024x1024", "regenerate": False})
        second = await client.post(PATH, json={"job": "support"})
        link = urlsplit(first.json()["image_url"])
        served = await client.get(f"{link.path}?{link.query}")  # the signed link, on this test's port

    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) >= SEED_FIELDS
    assert (body["job"], body["size"], body["background"], body["cached"]) == (
        "support",
        "1024x1024",
        "transparent",
        False,
    )
    # A signed link expires, so two links made a second apart differ only in exp and sig.
    expected = await http_app.url_for(body["image_key"])
    assert body["image_url"].split("?")[0] == expected.split("?")[0]
    assert (body["needs_review"], body["cost_usd"], body["placeholder"]) == (False, 0.0, True)
    assert {check["name"] for check in body["validation"]} >= {"transparency", "monoline_style", "centred"}
    assert second.json()["cached"] is True
    assert second.json()["image_url"].split("?")[0] == body["image_url"].split("?")[0]
    assert served.status_code == 200 and served.content.startswith(b"\x89PNG")


async def test_the_route_and_the_tool_share_one_service_and_one_cache(http_app: AppContext) -> None:
    async with serving(http_app) as client:
        made = (await client.post(PATH, json={"job": "chef", "background": "white"})).json()
    server = create_server(http_app.settings, "stdio", app=http_app)
    async with Client(server, raise_exceptions=True) as mcp:
        again = await mcp.call_tool("dog_avatar", {"job": "chef", "background": "white"})

    assert made["cached"] is False
    assert (again.structured_content["cached"], again.structured_content["image_key"]) == (
        True,
        made["image_key"],
    )


async def test_an_unknown_job_is_a_400_naming_the_valid_jobs_and_the_closest(http_app: AppContext) -> None:
    async with serving(http_app) as client:
        answer = await client.post(PATH, json={"job": "software developer"})

    assert answer.status_code == 400
    body = answer.json()
    assert body["valid_jobs"] == job_names()
    assert body["closest"] == "developer"
    assert body["detail"].startswith("Unknown job 'software developer'. Valid jobs: support, developer,")


@pytest.mark.parametrize(
    ("content", "status", "complaint"),
    [
        (b"job=support", 400, "The body must be JSON"),
        (b'["support"]', 400, "must be a JSON object"),
        (b"{}", 400, "job: Field required"),
        (b'{"job": "qa", "regenerate": "please"}', 400, "regenerate: Input should be a valid boolean"),
        (
            b'{"job": "qa", "background": "green"}',
            400,
            "background: Input should be 'transparent' or 'white'",
        ),
        (b'{"job": "qa", "colour": "red"}', 400, "colour: Extra inputs are not permitted"),
        (b'{"job": "qa", "size": "huge"}', 400, "WIDTHxHEIGHT"),
        (b'{"job": "' + b"x" * 20_000 + b'"}', 413, "over 16384 bytes"),
    ],
)
async def test_a_bad_request_gets_a_json_error_that_says_what_to_fix(
    http_app: AppContext, content: bytes, status: int, complaint: str
) -> None:
    async with serving(http_app) as client:
        answer = await client.post(PATH, content=content, headers={"content-type": "application/json"})

    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert complaint in answer.json()["detail"]


async def test_an_unavailable_provider_is_a_503_with_retry_after(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(quota_reply())
    settings = http_settings(
        tmp_path,
        provider="openai",
        provider_fallback=["openai"],
        openai_api_key="sk-test-not-a-real-key",
        openai_base_url=fake_openai.base_url,
        provider_max_retries=0,
    )
    async with serving(build_app(settings, "http")) as client:
        answer = await client.post(PATH, json={"job": "finance"})

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "30"
    assert "quota" in answer.json()["detail"]
    assert len(fake_openai.requests) == 1


async def test_the_route_sends_the_openai_edit_and_answers_with_its_model(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(images_reply([fakes.good_png()]))
    settings = http_settings(
        tmp_path,
        provider="openai",
        provider_fallback=["openai"],
        openai_api_key="sk-test-not-a-real-key",
        openai_base_url=fake_openai.base_url,
    )
    async with serving(build_app(settings, "http")) as client:
        answer = await client.post(PATH, json={"job": "hr"})

    assert answer.status_code == 200, answer.text
    assert (answer.json()["model"], answer.json()["placeholder"]) == ("gpt-image-2", False)
    params = fake_openai.params(fake_openai.requests[0])
    assert params["prompt"].endswith("Accessory: small heart badge on collar (outline only)")
    assert fake_openai.violations == []


def test_the_route_exists_only_on_the_http_transport(tmp_path: Path) -> None:
    def paths(transport: str) -> set[str]:
        app = build_app(http_settings(tmp_path), transport)  # type: ignore[arg-type]
        asgi = create_server(app.settings, transport, app=app).streamable_http_app()  # type: ignore[arg-type]
        return {getattr(route, "path", "") for route in asgi.routes}

    assert PATH in paths("http")
    assert PATH not in paths("stdio")


async def test_a_read_only_token_cannot_regenerate_the_shared_dog_avatar(tmp_path: Path) -> None:
    from tests.security.conftest import SECRET, mint

    app = build_app(http_settings(tmp_path, jwt_secret=SECRET), "http")
    async with serving(app) as client:
        reader = {"Authorization": f"Bearer {mint('rita', scope='images:read')}"}
        refused = await client.post(PATH, json={"job": "support", "regenerate": True}, headers=reader)
        cached_after_refusal = await app.blobs.list("cache/")
        writer = {"Authorization": f"Bearer {mint('will')}"}
        allowed = await client.post(PATH, json={"job": "support"}, headers=writer)

    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/json"
    assert "images:write" in refused.json()["detail"]
    assert cached_after_refusal == []
    assert allowed.status_code == 200, allowed.text
