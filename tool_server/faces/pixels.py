"""Turning PIL images and image bytes into the RGB arrays the models read, and back."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tool_server.errors import InvalidInput
from tool_server.faces.detect import RGB


def to_rgb(image: Image.Image) -> RGB:
    """An RGB uint8 array of `image`; transparent areas become white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(canvas, rgba)
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def decode(data: bytes, role: str) -> Image.Image:
    """Decode image bytes, upright (EXIF orientation applied); `InvalidInput` naming `role` if unreadable."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise InvalidInput(
            f"The {role} image could not be read ({exc}): send a PNG, JPEG or WebP image."
        ) from exc
    return ImageOps.exif_transpose(image)


def encode_png(rgb: RGB) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return out.getvalue()
