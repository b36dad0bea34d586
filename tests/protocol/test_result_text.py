"""A result's text says what the coach needs in words; the structured content is not repeated as JSON."""

from __future__ import annotations

import base64

from tests.conftest import Connect
from tests.photo_files import encode, portrait


def portrait_base64() -> str:
    return base64.b64encode(encode(portrait(640, 800), "JPEG")).decode()


async def test_list_results_name_every_id_in_a_sentence(connect: Connect) -> None:
    async with connect() as client:
        empty = await client.call_tool("list_reference_photos", {})
        added = (
            await client.call_tool("add_reference_photo", {"image_base64": portrait_base64()})
        ).structured_content
        photos = await client.call_tool("list_reference_photos", {})
        saved = await client.call_tool(
            "save_identity", {"name": "The Runner", "visualization": "A finish line"}
        )
        identities = await client.call_tool("list_identities", {})
    assert empty.content[0].text.startswith("No reference photos yet")  # type: ignore[union-attr]
    assert added is not None and saved.structured_content is not None
    photo_text = photos.content[0].text  # type: ignore[union-attr]
    assert (
        photo_text.startswith("1 of 5 reference photos: ") and f"{added['photo_id']} (primary" in photo_text
    )
    identity_id = saved.structured_content["identity_id"]
    listing = identities.content[0].text  # type: ignore[union-attr]
    assert listing == f"1 identity: {identity_id} 'The Runner' (no image yet)."
    for result in (photos, saved, identities):
        assert not result.content[0].text.startswith("{")  # type: ignore[union-attr]
