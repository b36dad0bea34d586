"""delete_my_data removes everything under the user's prefix and nothing of anyone else's."""

from __future__ import annotations

from pathlib import Path

from tests.security.conftest import ServeFor, mcp_client, mint, seed_user


def _files(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".locks" not in p.parts
    )


async def test_delete_my_data_needs_confirmation_then_removes_only_the_users_data(
    serve: ServeFor, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    with serve() as server:
        await seed_user(server, "rae")
        await seed_user(server, "sam")
        before = _files(root)
        rae_before = [f for f in before if f.startswith("users/rae/")]
        sam_before = [f for f in before if f.startswith("users/sam/")]
        kinds = {f.split("/")[2] for f in rae_before}
        assert {"photos", "identities", "images", "runs", "avatars"} <= kinds
        async with mcp_client(server, mint("rae")) as client:
            unconfirmed = await client.call_tool("delete_my_data", {})
            assert _files(root) == before
            deleted = await client.call_tool("delete_my_data", {"confirm": True})
            listed = await client.call_tool("list_reference_photos", {})
            again = await client.call_tool("delete_my_data", {"confirm": True})
        after = _files(root)
    assert unconfirmed.is_error and "confirm=true" in unconfirmed.content[0].text  # type: ignore[union-attr]
    assert not deleted.is_error
    assert deleted.structured_content["deleted_objects"] == len(rae_before)  # type: ignore[index]
    assert [f for f in after if f.startswith("users/rae/")] == []
    assert [f for f in after if f.startswith("users/sam/")] == sam_before
    assert after == sorted(set(before) - set(rae_before))
    assert listed.structured_content["photo_count"] == 0  # type: ignore[index]
    assert again.structured_content["deleted_objects"] == 0  # type: ignore[index]
