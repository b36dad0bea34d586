"""The apps on the wire: what a client advertising the extension sees, and that others see nothing."""

from __future__ import annotations

import re

import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from tests.conftest import Connect, wire
from tool_server.app import build_app
from tool_server.apps.pages import PAGES
from tool_server.ids import new_id
from tool_server.server import create_server
from tool_server.settings import Settings

ERAS = ["auto", "legacy"]
BOUND = {page.tool: page.uri for page in PAGES}
APP_ONLY = {"app_reference_photos", "app_identity_review", "app_dog_avatars"}
PAGE_BUDGET = 300 * 1024


def apps_extension() -> list:
    return [advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})]


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_with_the_extension_sees_the_four_pages_bound_to_their_tools(
    connect: Connect, mode: str
) -> None:
    async with connect(mode=mode, extensions=apps_extension()) as client:
        tools = {t["name"]: t for t in wire(await client.list_tools())["tools"]}
        listed = {r["uri"] for r in wire(await client.list_resources())["resources"]}
        pages = {uri: wire(await client.read_resource(uri))["contents"][0] for uri in BOUND.values()}
    assert {name: tools[name]["_meta"]["ui"]["resourceUri"] for name in BOUND} == BOUND
    for name in APP_ONLY:
        assert tools[name]["_meta"]["ui"]["visibility"] == ["app"], name
    unbound = set(tools) - set(BOUND) - APP_ONLY
    assert all("ui" not in tools[name].get("_meta", {}) for name in unbound)
    assert set(BOUND.values()) <= listed
    for uri, content in pages.items():
        assert content["mimeType"] == APP_MIME_TYPE, uri
        assert content["_meta"]["ui"]["csp"] == {"connectDomains": [], "resourceDomains": []}
        html = content["text"]
        assert html.startswith("<!doctype html>") and len(html.encode()) <= PAGE_BUDGET, uri
        # Self-contained: nothing loaded from any origin, everything inline.
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), uri
        assert not re.search(r"<script[^>]+src=|<link[^>]+stylesheet", html), uri


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_without_the_extension_sees_no_trace_of_the_apps(connect: Connect, mode: str) -> None:
    async with connect(mode=mode) as client:
        tools = wire(await client.list_tools())["tools"]
        resources = wire(await client.list_resources())["resources"]
        refused = await client.call_tool("app_dog_avatars", {})
        result = await client.call_tool("set_body_profile", {"gender": "woman"})
    assert not APP_ONLY & {t["name"] for t in tools}
    assert all("ui" not in t.get("_meta", {}) for t in tools)
    assert not [r for r in resources if r["uri"].startswith("ui://")]
    assert refused.is_error and "Unknown tool" in refused.content[0].text
    # The bound tools answer as they always did: text and structured content, no UI needed.
    assert not result.is_error and result.structured_content["gender"] == "woman"
    assert result.content[0].text == result.structured_content["message"]


async def test_advertising_the_extension_without_the_html_mime_type_is_not_enough(connect: Connect) -> None:
    async with connect(extensions=[advertise(EXTENSION_ID, {})]) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert not APP_ONLY & names


async def test_app_only_tools_answer_a_client_with_the_extension(connect: Connect) -> None:
    async with connect(extensions=apps_extension()) as client:
        photos = await client.call_tool("app_reference_photos", {})
        dogs = await client.call_tool("app_dog_avatars", {})
    assert photos.structured_content == {"photos": [], "max_photos": 5}
    jobs = dogs.structured_content["jobs"]
    assert len(jobs) == 20 and "default" not in {job["job"] for job in jobs}  # the 20 jobs
    assert all(job["image"] is None for job in jobs)  # nothing cached yet: placeholders


async def test_the_review_helper_answers_another_users_identity_as_not_found(
    connect: Connect, settings: Settings
) -> None:
    async with connect(extensions=apps_extension()) as alice:
        saved = await alice.call_tool("save_identity", {"name": "Mine", "visualization": "Running"})
    identity_id = saved.structured_content["identity_id"]
    bob = build_app(settings.model_copy(update={"user": "bob"}), "stdio")  # same storage, other user
    server = create_server(bob.settings, bob.transport, app=bob)
    async with Client(server, extensions=apps_extension()) as client:
        real = await client.call_tool("app_identity_review", {"identity_id": identity_id})
        made_up = await client.call_tool("app_identity_review", {"identity_id": new_id("idn")})
    assert real.is_error and made_up.is_error
    assert "no identity" in real.content[0].text.lower()
    masked = real.content[0].text.replace(identity_id, "<id>")
    assert masked == made_up.content[0].text.replace(made_up.content[0].text.split("'")[1], "<id>")
