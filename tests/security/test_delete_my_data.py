"""delete_my_data removes everything under the user's prefix and nothing of anyone else's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.conftest import ServeFor, mcp_client, mint, seed_user
from tests.storage.conftest import aws_env, moto_endpoint, s3_url  # noqa: F401 (fixtures)


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


def _everything(store_url: str, endpoint: str) -> list[str]:
    """Every file (hidden ones and lock files included) or every object key in the store."""
    if not store_url.startswith("s3://"):
        root = Path(store_url)
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir())
    import boto3

    bucket = store_url.removeprefix("s3://").split("/")[0]
    pages = boto3.client("s3", endpoint_url=endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.mark.parametrize("backend", ["local", "s3"])
async def test_after_delete_my_data_no_file_or_lock_of_the_user_remains_in_storage(
    serve: ServeFor, tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    """The attack: lock files named by hashes of guessable keys told who had used the service."""
    endpoint = request.getfixturevalue("moto_endpoint")
    store_url = request.getfixturevalue("s3_url") if backend == "s3" else str(tmp_path / "data")
    with serve(storage_url=store_url, s3_endpoint_url=endpoint) as server:
        await seed_user(server, "rae")
        await seed_user(server, "sam")
        async with mcp_client(server, mint("rae")) as client:
            deleted = await client.call_tool("delete_my_data", {"confirm": True})
        remaining = _everything(store_url, endpoint)
    tenant = "tenant-a/" if backend == "s3" else ""
    assert not deleted.is_error
    not_sams = [name for name in remaining if not name.startswith(f"{tenant}users/sam/")]
    print(f"{backend}: {len(remaining)} files remain after delete, {len(not_sams)} not the other user's")
    assert not_sams == []
    assert any(name.endswith("photos/index.json") for name in remaining)  # sam's data is intact
    assert not (tmp_path / "data" / "users" / "rae").exists()  # not even an empty folder
