"""Tiny real images for tests (a few hundred bytes each)."""

from __future__ import annotations

import io

from PIL import Image

from tool_server.providers.base import ReferenceImage

_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}


def image_bytes(
    fmt: str = "png", size: tuple[int, int] = (8, 8), color: tuple[int, int, int] = (200, 80, 40)
) -> bytes:
    """An image of one colour in `fmt` (png, jpeg or webp)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, _PIL_FORMATS[fmt])
    return buffer.getvalue()


def png(size: tuple[int, int] = (8, 8), color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    return image_bytes("png", size, color)


def jpeg(size: tuple[int, int] = (8, 8), color: tuple[int, int, int] = (40, 80, 200)) -> bytes:
    return image_bytes("jpeg", size, color)


def webp(size: tuple[int, int] = (8, 8), color: tuple[int, int, int] = (40, 200, 80)) -> bytes:
    return image_bytes("webp", size, color)


def reference(
    fmt: str = "png", *, name: str | None = None, mime: str | None = None, size: int = 32
) -> ReferenceImage:
    """A small real image as a reference; `mime` may lie about the bytes, as uploads and Gemini do."""
    real = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}[fmt]
    return ReferenceImage(
        data=image_bytes(fmt, (size, size), (180, 120, 90)),
        mime_type=mime or real,
        name=name or f"photo.{fmt}",
    )
