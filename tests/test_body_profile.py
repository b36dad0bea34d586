"""set_body_profile merges answers and asks for missing ones where the client can, in both eras."""

from __future__ import annotations

from typing import Any

import mcp.types as types
import pytest

from tests.conftest import Connect

ERAS = ["auto", "legacy"]


@pytest.mark.parametrize("mode", ERAS)
async def test_without_elicitation_the_result_lists_what_to_ask(connect: Connect, mode: str) -> None:
    async with connect(mode=mode) as client:
        first = (await client.call_tool("set_body_profile", {"gender": "woman"})).structured_content
        second = (
            await client.call_tool("set_body_profile", {"height": "tall", "build": "slim"})
        ).structured_content
    assert first["missing"] == ["height", "build", "skin_tone"]
    assert second["gender"] == "woman" and second["missing"] == ["skin_tone"]
    assert "skin_tone" in second["message"]


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_that_can_elicit_is_asked_only_for_the_missing_fields(
    connect: Connect, mode: str
) -> None:
    asked: list[dict[str, Any]] = []

    async def answer(_context: Any, params: types.ElicitRequestFormParams) -> types.ElicitResult:
        asked.append(params.requested_schema)
        return types.ElicitResult(action="accept", content={"build": "athletic", "skin_tone": "medium"})

    async with connect(mode=mode, elicitation_callback=answer) as client:
        result = (
            await client.call_tool("set_body_profile", {"gender": "man", "height": "average"})
        ).structured_content
    assert sorted(asked[0]["properties"]) == ["build", "skin_tone"]
    assert result["complete"] is True and result["build"] == "athletic"


@pytest.mark.parametrize("mode", ERAS)
async def test_a_declined_form_still_saves_what_was_given(connect: Connect, mode: str) -> None:
    async def decline(_context: Any, _params: Any) -> types.ElicitResult:
        return types.ElicitResult(action="decline")

    async with connect(mode=mode, elicitation_callback=decline) as client:
        result = await client.call_tool("set_body_profile", {"gender": "non_binary_other"})
    assert not result.is_error
    assert result.structured_content["gender"] == "non_binary_other"
    assert result.structured_content["complete"] is False


async def test_an_invalid_option_is_refused_with_the_valid_ones(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("set_body_profile", {"build": "huge"})
    assert result.is_error
    assert "curvy_stocky" in result.content[0].text
