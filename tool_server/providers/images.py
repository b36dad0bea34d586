"""Image bytes in and out of providers: real MIME types from magic bytes, file names that match them."""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Iterable

from tool_server.mime import extension_for, sniff_mime
from tool_server.providers.base import GeneratedImage, ReferenceImage

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def prepare_references(references: Iterable[ReferenceImage]) -> tuple[ReferenceImage, ...]:
    """References with their sniffed MIME type and a file name whose extension matches it.

    The OpenAI edit endpoint refuses a part without a usable name or type, and a label that
    disagrees with the bytes (as Gemini output often does) must not travel further.
    """
    prepared: list[ReferenceImage] = []
    for index, ref in enumerate(references):
        mime = sniff_mime(ref.data) or ref.mime_type
        stem = _UNSAFE.sub("_", ref.name.rsplit(".", 1)[0]).strip("._")[:60] or f"image-{index + 1}"
        prepared.append(ReferenceImage(data=ref.data, mime_type=mime, name=f"{stem}.{extension_for(mime)}"))
    return tuple(prepared)


def image_from_bytes(data: bytes) -> GeneratedImage:
    """A generated image with its real MIME type; ValueError when the bytes are no (whole) image.

    Right magic bytes are not enough: a response cut short still starts like a PNG, and would
    only fail later, when the image is scored or previewed. So the pixels are decoded here.
    """
    mime = sniff_mime(data)
    if mime is None:
        raise ValueError("the provider returned bytes that are not an image")
    if mime in _DECODABLE:
        _check_decodes(data)
    return GeneratedImage(data=data, mime_type=mime)


_DECODABLE = {"image/png", "image/jpeg", "image/webp", "image/gif"}


def _check_decodes(data: bytes) -> None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise ValueError(f"the provider returned a damaged or truncated image ({exc})") from exc


def image_from_base64(text: str) -> GeneratedImage:
    """Decode standard or URL-safe base64 strictly; ValueError when it is not base64 of an image."""
    padded = text.strip() + "=" * (-len(text.strip()) % 4)
    try:
        data = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the provider returned invalid base64 ({exc})") from exc
    return image_from_bytes(data)
