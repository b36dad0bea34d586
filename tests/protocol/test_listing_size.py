"""tools/list stays small: every byte of it is paid in every conversation (issue #17)."""

from __future__ import annotations

import pytest

from tests.conftest import Connect, wire
from tool_server.protocol.sizes import MODEL_FACING_TARGET, WHOLE_TARGET, listing_size


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_tool_list_stays_within_its_size_targets(connect: Connect, mode: str) -> None:
    async with connect(mode=mode) as client:
        listing = wire(await client.list_tools())
    size = listing_size(listing)
    assert size.tools >= 14
    assert size.model_facing <= MODEL_FACING_TARGET, (
        f"names, descriptions and input schemas: {size.model_facing} bytes, target {MODEL_FACING_TARGET}; "
        "shorten descriptions, share or drop schema detail"
    )
    assert size.whole <= WHOLE_TARGET, f"tools/list is {size.whole} bytes (target {WHOLE_TARGET})"


async def test_listed_schemas_carry_no_pydantic_titles_or_indented_docstrings(connect: Connect) -> None:
    async with connect() as client:
        tools = wire(await client.list_tools())["tools"]
    for tool in tools:
        assert "  " not in tool["description"] and "\n" not in tool["description"], tool["name"]
        assert "title" not in tool["inputSchema"], tool["name"]
        for name, prop in tool["inputSchema"].get("properties", {}).items():
            assert "title" not in prop, f"{tool['name']}.{name}"
        assert "$defs" not in tool.get("outputSchema", {}), tool["name"]


async def test_every_result_conforms_to_its_listed_output_schema(connect: Connect) -> None:
    """The SDK client validates structured content against the listed (compact) output schema."""
    async with connect() as client:
        saved = await client.call_tool(
            "save_identity", {"name": "The Runner", "visualization": "A finish line"}
        )
        listed = await client.call_tool("list_identities", {})
        profile = await client.call_tool("set_body_profile", {"gender": "woman"})
        photos = await client.call_tool("list_reference_photos", {})
        for result in (saved, listed, profile, photos):
            assert not result.is_error, result.content
            assert result.structured_content is not None
