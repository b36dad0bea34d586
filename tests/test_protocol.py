"""The server as an MCP client sees it, in both protocol eras, pinned as wire JSON snapshots."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Connect, wire

SNAPSHOTS = Path(__file__).parent / "snapshots"
ERAS = ["auto", "legacy"]


def check_snapshot(name: str, value: Any) -> None:
    """Compare with tests/snapshots/NAME.json; UPDATE_SNAPSHOTS=1 rewrites it."""
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(value, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(text)
    assert path.exists(), f"no snapshot {path.name}: run once with UPDATE_SNAPSHOTS=1 and review it"
    assert json.loads(path.read_text()) == value, (
        f"{path.name} changed: rerun with UPDATE_SNAPSHOTS=1 if intended"
    )


def _strip_meta(listing: dict[str, Any]) -> dict[str, Any]:
    listing = {k: v for k, v in listing.items() if k not in ("_meta", "ttlMs", "cacheScope", "resultType")}
    return listing


@pytest.mark.parametrize("mode", ERAS)
async def test_tools_list_matches_the_snapshot(connect: Connect, mode: str) -> None:
    async with connect(mode=mode) as client:
        tools = _strip_meta(wire(await client.list_tools()))
    check_snapshot("tools_list", tools)
    for tool in tools["tools"]:
        assert len(tool["description"]) > 60, f"{tool['name']} needs a description the coach can act on"
        assert "annotations" in tool, tool["name"]
        assert "user_id" not in json.dumps(tool["inputSchema"]), (
            "the acting user never comes from an argument"
        )


@pytest.mark.parametrize("mode", ERAS)
async def test_resources_and_templates_match_the_snapshots(connect: Connect, mode: str) -> None:
    async with connect(mode=mode) as client:
        resources = _strip_meta(wire(await client.list_resources()))
        templates = _strip_meta(wire(await client.list_resource_templates()))
        prompts = _strip_meta(wire(await client.list_prompts()))
    check_snapshot("resources_list", resources)
    check_snapshot("resource_templates", templates)
    check_snapshot("prompts_list", prompts)
    assert {r["uri"] for r in resources["resources"]} == {"coach://me/photo_url", "coach://me/body_profile"}


@pytest.mark.parametrize("mode", ERAS)
async def test_save_identity_answers_with_structured_content_and_a_sentence_not_its_json(
    connect: Connect, mode: str
) -> None:
    async with connect(mode=mode) as client:
        result = wire(
            await client.call_tool(
                "save_identity",
                {
                    "name": "The Founder",
                    "visualization": "Presenting on stage",
                    "i_am_statement": "I am a leader",
                },
            )
        )
    assert result.get("isError", False) is False
    structured = result["structuredContent"]
    assert structured["created"] is True and structured["identity_id"].startswith("idn_")
    assert result["content"] == [{"type": "text", "text": structured["message"]}]
    assert structured["identity_id"] in structured["message"]


@pytest.mark.parametrize("mode", ERAS)
async def test_an_unknown_identity_is_a_tool_error_the_coach_can_act_on(connect: Connect, mode: str) -> None:
    async with connect(mode=mode) as client:
        result = wire(await client.read_resource("coach://me/body_profile"))
        assert json.loads(result["contents"][0]["text"])["complete"] is False
        from mcp import MCPError

        with pytest.raises(MCPError, match="save_identity"):
            await client.read_resource("coach://identities/idn_missing")


async def test_save_identity_updates_keep_the_id(connect: Connect) -> None:
    async with connect() as client:
        first = (
            await client.call_tool("save_identity", {"name": "A", "visualization": "v1"})
        ).structured_content
        second = (
            await client.call_tool(
                "save_identity", {"name": "B", "visualization": "v2", "identity_id": first["identity_id"]}
            )
        ).structured_content
        listing = (await client.call_tool("list_identities", {})).structured_content
        bad = await client.call_tool(
            "save_identity", {"name": "C", "visualization": "v", "identity_id": "../x"}
        )
    assert second["created"] is False and second["name"] == "B"
    assert [i["identity_id"] for i in listing["identities"]] == [first["identity_id"]]
    assert bad.is_error and "identity_id must be" in bad.content[0].text
