"""Full-size images reach the MCP Python client over streamable HTTP: every resource read fits one event.

The SDK's client refuses a server-sent event over 1 MiB, and a resource read is one event in the older
protocol era. These tests read a 1536x1024 photographic image (a PNG of several MB) and a large
transparent dog avatar through the real client over real HTTP.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from mcp.types import BlobResourceContents
from PIL import Image

from tests.security.conftest import ServeFor, mcp_client, mint
from tool_server.auth.tokens import user_for_subject
from tool_server.context.fit import MAX_EVENT_BYTES
from tool_server.dogs.cache import image_key_for
from tool_server.generation.images import save_image


def photographic(width: int = 1536, height: int = 1024, alpha: bool = False) -> Image.Image:
    """A smooth scene with sensor-like noise: PNG cannot compress it (several MB), as with real photos."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height) + 64], axis=-1)
    pixels = np.clip(base + rng.normal(0, 18, base.shape), 0, 255).astype("uint8")
    image = Image.fromarray(pixels, "RGB")
    if alpha:
        image.putalpha(Image.fromarray(np.where(x < width // 2, 255, 0).astype("uint8"), "L"))
    return image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def wire_size(contents: BlobResourceContents) -> int:
    """The bytes this content takes inside the JSON-RPC message."""
    return len(contents.model_dump_json(by_alias=True, exclude_none=True).encode())


async def read_blob(server: Any, token: str, uri: str) -> BlobResourceContents:
    async with mcp_client(server, token, mode="legacy") as client:
        result = await client.read_resource(uri)
    [contents] = result.contents
    assert isinstance(contents, BlobResourceContents)
    return contents


async def test_a_1536x1024_photographic_png_reaches_the_python_client_over_http_in_the_older_era(
    serve: ServeFor,
) -> None:
    stored = png(photographic())
    assert len(stored) > 3 * MAX_EVENT_BYTES  # the attack: a PNG far beyond one event
    with serve() as server:
        record = await save_image(server.app, user_for_subject("alice"), stored, "identity")

        contents = await read_blob(server, mint("alice"), f"coach://images/{record.image_id}")

    print(f"largest image resource read: {wire_size(contents)} bytes on the wire")
    assert wire_size(contents) < MAX_EVENT_BYTES
    assert contents.mime_type == "image/jpeg"
    sent = Image.open(io.BytesIO(base64.b64decode(contents.blob)))
    assert sent.format == "JPEG" and sent.size[0] / sent.size[1] == 1.5
    meta = contents.meta or {}
    assert "image/png" in meta["reencoded"] and "image/jpeg" in meta["reencoded"]
    assert meta["full_url"].startswith(server.url + "/files/")


async def test_an_image_small_enough_goes_out_as_stored_with_its_own_mime_type(serve: ServeFor) -> None:
    buffer = io.BytesIO()
    photographic(768, 512).save(buffer, format="JPEG", quality=90)
    with serve() as server:
        record = await save_image(server.app, user_for_subject("alice"), buffer.getvalue(), "identity")

        contents = await read_blob(server, mint("alice"), f"coach://images/{record.image_id}")

    assert contents.mime_type == "image/jpeg" and base64.b64decode(contents.blob) == buffer.getvalue()
    assert not (contents.meta or {}).get("reencoded")


async def test_a_large_transparent_dog_avatar_keeps_its_transparency_and_fits_one_event(
    serve: ServeFor,
) -> None:
    stored = png(photographic(1024, 1024, alpha=True))
    key = image_key_for("v1", "support-1024x1024-transparent.png")
    assert key is not None and len(stored) > MAX_EVENT_BYTES
    with serve() as server:
        await server.app.blobs.put(key, stored, content_type="image/png")

        contents = await read_blob(server, mint("alice"), "coach://dogs/v1/support-1024x1024-transparent.png")

    assert wire_size(contents) < MAX_EVENT_BYTES and contents.mime_type == "image/webp"
    sent = Image.open(io.BytesIO(base64.b64decode(contents.blob)))
    assert sent.mode == "RGBA" and sent.getpixel((sent.width - 1, 0))[3] == 0
