"""A bad argument answers in words: which argument, what was given, what is allowed (issue #17)."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from tests.conftest import Connect


async def _error_text(client: Client, tool: str, arguments: dict[str, Any]) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.content
    [block] = result.content
    text: str = block.text  # type: ignore[union-attr]
    assert "pydantic" not in text and "validation error" not in text and "Arguments" not in text, text
    assert "\n" not in text, text
    return text


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_an_enum_value_outside_the_choices_names_the_argument_the_value_and_the_choices(
    connect: Connect, mode: str
) -> None:
    async with connect(mode=mode) as client:
        text = await _error_text(client, "set_body_profile", {"gender": "female", "height": 3})
    assert '`gender` was "female"' in text and "'man', 'woman' or 'non_binary_other'" in text
    assert "`height` was 3" in text and "'above_average'" in text
    assert text.endswith("Correct it and call set_body_profile again.")


async def test_a_wrong_type_and_a_bound_say_what_is_allowed(connect: Connect) -> None:
    async with connect() as client:
        text = await _error_text(
            client, "generate_identity_image", {"identity_id": "idn_x", "candidates": 9, "size": 5}
        )
    assert "`candidates` was 9: input should be less than or equal to 4" in text
    assert "`size` was 5: input should be a valid string." in text


async def test_a_missing_required_argument_is_named_with_what_it_expects(connect: Connect) -> None:
    async with connect() as client:
        text = await _error_text(client, "save_identity", {"name": "The Runner"})
        nested = await _error_text(client, "add_reference_photo", {"crop": {"x": -1, "y": 0}})
    assert "`visualization` is required but was not given (The user living it: scene" in text
    assert "`crop.x` was -1: input should be greater than or equal to 0" in nested
    assert "`crop.size` is required but was not given." in nested


async def test_an_unknown_argument_is_refused_with_the_tools_arguments_and_nothing_is_saved(
    connect: Connect,
) -> None:
    async with connect() as client:
        text = await _error_text(
            client,
            "save_identity",
            {"name": "The Runner", "visualization": "A finish line", "identity": "idn_1"},
        )
        listing = (await client.call_tool("list_identities", {})).structured_content
    assert '`identity` (given "idn_1") is not an argument of save_identity' in text
    assert "its arguments are: name, visualization, i_am_statement, identity_id." in text
    assert listing is not None and listing["identities"] == []


async def test_a_long_value_is_shown_cut_short(connect: Connect) -> None:
    async with connect() as client:
        text = await _error_text(client, "get_run", {"run_id": ["x" * 500]})
    assert '`run_id` was ["xxxx' in text and "…" in text
    assert len(text) < 400
