"""Generated images the user owns: stored bytes plus a metadata record, and small previews."""

from __future__ import annotations

import io
import logging
from typing import Any

import anyio.to_thread
from PIL import Image

from storage import StorageError
from tool_server.app import AppContext
from tool_server.errors import NotFound
from tool_server.ids import check_id, new_id
from tool_server.mime import extension_for, sniff_mime
from tool_server.userdata import keys
from tool_server.userdata.models import ImageRecord

PREVIEW_MAX_SIDE = 512
logger = logging.getLogger(__name__)


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


async def save_image(
    app: AppContext,
    user: str,
    data: bytes,
    kind: str,
    *,
    name: str | None = None,
    key: str | None = None,
    **details: Any,
) -> ImageRecord:
    """Store a generated image and its record (bytes first, so a record never points at nothing).

    `key` places the bytes somewhere self-explanatory (avatars); by default `images/{image_id}.ext`.
    """
    mime = sniff_mime(data) or "application/octet-stream"
    image_id = new_id("img")
    width, height = await anyio.to_thread.run_sync(image_size, data)
    record = ImageRecord(
        image_id=image_id,
        key=key or keys.image(user, image_id, extension_for(mime)),
        name=name,
        mime_type=mime,
        width=width,
        height=height,
        kind=kind,
        **details,
    )
    await app.blobs.put(record.key, data, content_type=mime)
    await app.docs.write(keys.image_record(user, image_id), record)
    return record


async def delete_images(app: AppContext, user: str, records: list[ImageRecord]) -> None:
    """Best-effort removal of images a failed operation saved (record first, then the bytes)."""
    for record in records:
        for key in (keys.image_record(user, record.image_id), record.key):
            try:
                await app.blobs.delete(key)
            except StorageError as exc:  # storage is down: the caller's own error says so
                logger.warning("could not remove %s after a failed run: %s", key, exc)


async def get_image(app: AppContext, user: str, image_id: str) -> ImageRecord:
    check_id(image_id, "image", prefix="img_")
    record = await app.docs.read(keys.image_record(user, image_id), ImageRecord)
    if record is None:
        raise NotFound(f"No image with id {image_id!r} for this user. Use an image_id a tool returned.")
    return record


def preview_jpeg(data: bytes, max_side: int = PREVIEW_MAX_SIDE, quality: int = 80) -> bytes:
    """A small JPEG for inline display: longest side <= max_side, well under 200 KB."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        if opened.mode in ("RGBA", "LA", "P"):
            rgba = opened.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        else:
            image = opened.convert("RGB")
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True)
        return buffer.getvalue()


def as_png(data: bytes) -> bytes:
    """The image re-encoded losslessly as PNG (unchanged when it already is one)."""
    if sniff_mime(data) == "image/png":
        return data
    with Image.open(io.BytesIO(data)) as image:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()
