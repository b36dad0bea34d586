"""add/list/remove reference photos over the protocol, with the bad inputs users really send."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import Connect
from tests.photo_files import (
    SECRETS,
    encode,
    jpeg_segments,
    jpeg_with_orientation,
    photo_with_all_metadata,
    png_bomb,
    portrait,
)
from tool_server.app import AppContext


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def stored_keys(app: AppContext) -> list[str]:
    return await app.blobs.list("")


async def test_a_photo_is_stored_upright_without_metadata_and_listed(
    connect: Connect, app: AppContext
) -> None:
    original = portrait(640, 800)
    # Orientation 6: the camera stored the picture rotated; viewers turn it 90° clockwise.
    rotated = original.transpose(Image.Transpose.ROTATE_90)
    async with connect() as client:
        result = await client.call_tool(
            "add_reference_photo",
            {"image_base64": b64(jpeg_with_orientation(rotated, 6)), "filename": "me.jpg"},
        )
        assert not result.is_error, result.content
        added = result.structured_content
        assert added["photo_count"] == 1 and added["max_photos"] == 5
        listing = (await client.call_tool("list_reference_photos", {})).structured_content
    assert [p["photo_id"] for p in listing["photos"]] == [added["photo_id"]]
    assert listing["photos"][0]["primary"] is True
    stored = await app.blobs.get(f"users/alice/photos/{added['photo_id']}.jpg")
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (640, 800)  # upright again
        assert not image.getexif()  # no EXIF, so no GPS
        assert "icc_profile" not in image.info
        red = image.getpixel((5, 5))
    assert isinstance(red, tuple) and red[0] > 200 and red[1] < 60  # the marker is back top-left


@pytest.mark.parametrize(
    ("name", "payload", "expected"),
    [
        ("not an image", b"hello, this is text", "not an image"),
        ("truncated JPEG", encode(portrait())[:3000], "damaged or truncated"),
        ("1x100000 PNG", encode(Image.new("L", (1, 100000)), "PNG"), "short side"),
        ("decompression bomb", png_bomb(), "megapixels"),
        ("empty file", b"", "empty"),
    ],
)
async def test_bad_photos_get_a_clear_error_and_change_nothing(
    connect: Connect, app: AppContext, name: str, payload: bytes, expected: str
) -> None:
    before = await stored_keys(app)
    async with connect() as client:
        result = await client.call_tool("add_reference_photo", {"image_base64": b64(payload)})
    assert result.is_error, name
    assert expected in result.content[0].text, result.content[0].text
    assert await stored_keys(app) == before


async def test_a_30_mb_file_is_refused_before_decoding(connect: Connect, app: AppContext) -> None:
    huge = b"\xff\xd8\xff" + b"\0" * (30 * 1024 * 1024)
    async with connect() as client:
        result = await client.call_tool("add_reference_photo", {"image_base64": b64(huge)})
    assert result.is_error
    assert "limit is 20.0 MB" in result.content[0].text
    assert await stored_keys(app) == []


async def test_invalid_base64_is_refused(connect: Connect) -> None:
    async with connect() as client:
        result = await client.call_tool("add_reference_photo", {"image_base64": "not base64 at all!"})
    assert result.is_error and "not valid base64" in result.content[0].text


async def test_heic_photos_from_iphones_are_accepted(connect: Connect) -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    heic = encode(portrait(), "HEIF", quality=80)
    async with connect() as client:
        result = await client.call_tool("add_reference_photo", {"image_base64": b64(heic)})
    assert not result.is_error, result.content
    assert result.structured_content["photo_count"] == 1


async def test_animated_cmyk_16bit_and_palette_images_are_normalised(
    connect: Connect, app: AppContext
) -> None:
    frames = [portrait(400, 400, (200, 100, 50)), portrait(400, 400, (10, 200, 10))]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:])
    cmyk = encode(portrait(400, 400).convert("CMYK"), "JPEG")
    grey = np.asarray(portrait(400, 400).convert("L"), dtype=np.uint16) * 257
    sixteen = encode(Image.fromarray(grey), "PNG")
    palette = encode(portrait(400, 400).convert("P"), "PNG")
    async with connect() as client:
        for data in (gif.getvalue(), cmyk, sixteen, palette):
            result = await client.call_tool("add_reference_photo", {"image_base64": b64(data)})
            assert not result.is_error, result.content
    for key in await app.blobs.list("users/alice/photos/"):
        if key.endswith(".jpg"):
            with Image.open(io.BytesIO(await app.blobs.get(key))) as image:
                assert image.mode == "RGB"


async def test_the_sixth_photo_is_refused_naming_remove_reference_photo(
    connect: Connect, app: AppContext
) -> None:
    async with connect() as client:
        for shade in range(5):
            result = await client.call_tool(
                "add_reference_photo",
                {"image_base64": b64(encode(portrait(colour=(100 + shade * 20, 90, 80))))},
            )
            assert not result.is_error
        before = await stored_keys(app)
        sixth = await client.call_tool(
            "add_reference_photo", {"image_base64": b64(encode(portrait(300, 300)))}
        )
    assert sixth.is_error
    assert "remove_reference_photo" in sixth.content[0].text
    assert await stored_keys(app) == before


async def test_the_same_photo_twice_is_refused(connect: Connect) -> None:
    data = b64(encode(portrait()))
    async with connect() as client:
        assert not (await client.call_tool("add_reference_photo", {"image_base64": data})).is_error
        again = await client.call_tool("add_reference_photo", {"image_base64": data})
    assert again.is_error and "already saved" in again.content[0].text


async def test_remove_deletes_the_photo_and_its_files(connect: Connect, app: AppContext) -> None:
    async with connect() as client:
        added = (
            await client.call_tool("add_reference_photo", {"image_base64": b64(encode(portrait()))})
        ).structured_content
        removed = await client.call_tool("remove_reference_photo", {"photo_id": added["photo_id"]})
        assert removed.structured_content == {
            "removed_photo_id": added["photo_id"],
            "photo_count": 0,
            "message": f"Removed reference photo {added['photo_id']}; 0 left.",
        }
        assert removed.content[0].text == removed.structured_content["message"]  # type: ignore[union-attr]
        again = await client.call_tool("remove_reference_photo", {"photo_id": added["photo_id"]})
    assert again.is_error and "list_reference_photos" in again.content[0].text
    assert [k for k in await stored_keys(app) if k.endswith(".jpg")] == []


@pytest.mark.parametrize("photo_id", ["../../etc/passwd", "photo_/../x", "..", "photo_a/b", "", "x" * 300])
async def test_path_traversal_in_ids_is_just_not_found(
    connect: Connect, app: AppContext, photo_id: str
) -> None:
    async with connect() as client:
        result = await client.call_tool("remove_reference_photo", {"photo_id": photo_id})
    assert result.is_error
    assert "No reference photo" in result.content[0].text
    assert await stored_keys(app) == []


async def test_path_is_accepted_on_stdio(connect: Connect, tmp_path: Path) -> None:
    photo = tmp_path / "selfie.png"
    photo.write_bytes(encode(portrait(), "PNG"))
    async with connect() as client:
        result = await client.call_tool("add_reference_photo", {"path": str(photo)})
        missing = await client.call_tool("add_reference_photo", {"path": str(tmp_path / "nope.jpg")})
        both = await client.call_tool("add_reference_photo", {})
    assert not result.is_error, result.content
    listing_name = result.structured_content["photo_id"]
    assert listing_name.startswith("photo_")
    assert missing.is_error and "No file at" in missing.content[0].text
    assert both.is_error and "exactly one of" in both.content[0].text


async def test_path_is_refused_on_http(app: AppContext, tmp_path: Path) -> None:
    from mcp import Client

    from tool_server.server import create_server

    photo = tmp_path / "selfie.png"
    photo.write_bytes(encode(portrait(), "PNG"))
    app.transport = "http"
    async with Client(create_server(app.settings, "http", app=app)) as client:
        result = await client.call_tool("add_reference_photo", {"path": str(photo)})
    assert result.is_error and "only accepted on a local (stdio) server" in result.content[0].text


async def test_user_photo_url_resource_follows_the_primary_photo(connect: Connect) -> None:
    async with connect() as client:
        empty = await client.read_resource("coach://me/photo_url")
        assert '"user_photo_url": null' in empty.contents[0].text
        await client.call_tool("add_reference_photo", {"image_base64": b64(encode(portrait()))})
        after = await client.read_resource("coach://me/photo_url")
    assert '"photo_count": 1' in after.contents[0].text
    assert "file://" in after.contents[0].text


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
async def test_no_comment_exif_gps_xmp_iptc_icc_or_maker_note_survives_ingest(
    connect: Connect, app: AppContext, fmt: str
) -> None:
    """The attack: a JPEG comment (or any other metadata) of the user's file kept in storage."""
    upload = photo_with_all_metadata(portrait(640, 800), fmt)
    assert all(secret in upload for secret in SECRETS.values() if fmt == "JPEG")
    async with connect() as client:
        result = await client.call_tool("add_reference_photo", {"image_base64": b64(upload)})
    assert not result.is_error, result.content
    stored = [k for k in await stored_keys(app) if k.endswith(".jpg")]
    assert stored  # the photo (and its face crop, where faces are analysed)
    for key in stored:
        data = await app.blobs.get(key)
        kept = [name for name, secret in SECRETS.items() if secret in data]
        assert kept == [], f"{key} keeps {kept}"
        for marker in (b"Exif\0", b"xmpmeta", b"Photoshop", b"8BIM", b"ICC_PROFILE", b"acsp"):
            assert marker not in data, f"{key} keeps {marker!r}"
        # Only the JFIF header, tables and frame: no APP1 (EXIF/XMP), APP2 (ICC), APP13 (IPTC), COM.
        assert set(jpeg_segments(data)) <= {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA}, key
    with Image.open(io.BytesIO(await app.blobs.get(stored[0]))) as image:
        marker = image.getpixel((5, 5))  # red in the file's colours, green in sRGB: converted, then dropped
    assert isinstance(marker, tuple) and marker[1] > 200 and marker[0] < 90, marker


def someone_else() -> Image.Image:
    """Eileen Collins (the tests' user is Grace Hopper), large enough for the quality gate."""
    from tests.photos import astronaut

    return astronaut().resize((1024, 1024), Image.Resampling.LANCZOS)


async def test_a_second_persons_photo_is_refused_and_nothing_is_stored(
    connect: Connect, app: AppContext
) -> None:
    async with connect() as client:
        first = await client.call_tool("add_reference_photo", {"image_base64": b64(encode(portrait()))})
        assert not first.is_error, first.content
        same = await client.call_tool(
            "add_reference_photo", {"image_base64": b64(encode(portrait(colour=(90, 120, 200))))}
        )
        assert not same.is_error, same.content
        before = await stored_keys(app)
        collins = b64(encode(someone_else()))
        stranger = await client.call_tool("add_reference_photo", {"image_base64": collins})
        listing = (await client.call_tool("list_reference_photos", {})).structured_content
    assert stranger.is_error
    text = stranger.content[0].text
    assert "doesn't look like the same person" in text and "remove_reference_photo" in text
    assert "Nothing was saved" in text
    assert await stored_keys(app) == before
    assert listing["photo_count"] == 2 and listing["consistent"] is True
    assert listing["mismatched_photo_ids"] == []


async def test_stored_photos_of_two_people_are_reported_and_refuse_generation_until_fixed(
    connect: Connect, app: AppContext
) -> None:
    from tool_server.userdata.photos import PhotoLibrary

    # Data written before the one-person check existed: a second person slipped into the set.
    inspect = app.photos.inspect_faces
    unchecked = PhotoLibrary(app.blobs, app.docs, app.photos.limits, 5, inspect_faces=inspect)
    await unchecked.add("alice", encode(portrait()))
    other, _, _ = await unchecked.add("alice", encode(someone_else()))
    async with connect() as client:
        listing = (await client.call_tool("list_reference_photos", {})).structured_content
        saved = await client.call_tool("save_identity", {"name": "X", "visualization": "On a stage"})
        identity_id = saved.structured_content["identity_id"]
        refused = await client.call_tool("generate_identity_image", {"identity_id": identity_id})
        runs_before_fix = await app.runs.list("alice")
        await client.call_tool("remove_reference_photo", {"photo_id": other.photo_id})
        fixed = (await client.call_tool("list_reference_photos", {})).structured_content
        made = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 1}
        )
    assert listing["consistent"] is False and len(listing["mismatched_photo_ids"]) == 2
    assert "remove_reference_photo" in listing["message"]
    assert refused.is_error and "different people" in refused.content[0].text
    assert "Nothing was generated" in refused.content[0].text
    assert runs_before_fix == []  # refused before any run (and so before any provider call)
    assert fixed["consistent"] is True
    assert not made.is_error and made.structured_content["status"] == "done"
