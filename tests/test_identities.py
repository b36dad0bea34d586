"""Caps on identities and on images per identity, and list_identities pages, over the protocol."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from mcp import Client

from tests.photo_files import encode, portrait
from tool_server.app import build_app
from tool_server.server import create_server
from tool_server.settings import Settings


def _server(tmp_path: Path, **overrides: object):  # type: ignore[no-untyped-def]
    settings = Settings(  # type: ignore[call-arg]
        storage_url=str(tmp_path / "data"), user="alice", provider="offline", _env_file=None, **overrides
    )
    app = build_app(settings, "stdio")
    return app, create_server(settings, "stdio", app=app)


async def test_identities_stop_at_the_cap_with_an_error_that_says_to_update_one(tmp_path: Path) -> None:
    """The attack: 500 identities in seconds, and a listing of megabytes in every later call."""
    app, server = _server(tmp_path)
    cap = app.settings.max_identities
    long = {"visualization": "v" * 4000, "i_am_statement": "i" * 1000}
    async with Client(server, raise_exceptions=True) as client:
        for number in range(cap):
            made = await client.call_tool("save_identity", {"name": f"Identity {number}", **long})
            assert not made.is_error, made.content
        refused = await client.call_tool("save_identity", {"name": "One too many", **long})
        first_id = made.structured_content["identity_id"]  # type: ignore[index]
        renamed = {"identity_id": first_id, "name": "Renamed", **long}
        updated = await client.call_tool("save_identity", renamed)
        pages, cursor, sizes = [], None, []
        while True:
            page = await client.call_tool("list_identities", {"cursor": cursor} if cursor else {})
            sizes.append(len(json.dumps(page.structured_content)))
            pages.append(page.structured_content["identities"])  # type: ignore[index]
            cursor = page.structured_content.get("next_cursor")  # type: ignore[union-attr]
            if not cursor:
                break
        bad_cursor = await client.call_tool("list_identities", {"cursor": "../1"})
    print(f"list_identities at the cap ({cap}): {len(pages)} pages, largest {max(sizes)} bytes")
    assert refused.is_error
    text = refused.content[0].text  # type: ignore[union-attr]
    assert f"{cap} identities" in text and "save_identity with its identity_id" in text
    assert not updated.is_error  # an update needs no room
    assert [len(p) for p in pages] == [20, 20, 10]
    assert len({i["identity_id"] for p in pages for i in p}) == cap
    assert max(sizes) < 120_000
    assert bad_cursor.is_error and "next_cursor" in bad_cursor.content[0].text  # type: ignore[union-attr]


async def test_generation_stops_at_the_images_per_identity_cap_before_any_provider_call(
    tmp_path: Path,
) -> None:
    app, server = _server(tmp_path, max_images_per_identity=2)
    async with Client(server, raise_exceptions=True) as client:
        photo = {"image_base64": base64.b64encode(encode(portrait())).decode()}
        assert not (await client.call_tool("add_reference_photo", photo)).is_error
        saved = await client.call_tool("save_identity", {"name": "Speaker", "visualization": "On a stage"})
        identity = {"identity_id": saved.structured_content["identity_id"]}  # type: ignore[index]
        first = await client.call_tool("generate_identity_image", {**identity, "candidates": 2})
        runs_before = await app.runs.list("alice")
        second = await client.call_tool("generate_identity_image", {**identity, "candidates": 1})
        runs_after = await app.runs.list("alice")
    assert not first.is_error, first.content
    assert second.is_error
    text = second.content[0].text  # type: ignore[union-attr]
    assert "most kept per identity is 2" in text and "Nothing was generated" in text
    assert runs_after == runs_before  # refused before a run (or a paid call) started
