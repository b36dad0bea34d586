"""Photos made on the fly for ingest tests (no files committed)."""

from __future__ import annotations

import functools
import io
import struct
import zlib

from PIL import Image, ImageDraw


@functools.cache
def _face() -> Image.Image:
    from tests.photos import grace_hopper

    # A square around Grace Hopper's face (about 186 px of 400): the tests' user. She is never the
    # offline provider's stand-in person (tests/providers/test_generic_person.py checks it).
    return grace_hopper().crop((73, 32, 473, 432))


def portrait(
    width: int = 640, height: int = 800, colour: tuple[int, int, int] = (180, 140, 120)
) -> Image.Image:
    """A real face (public-domain Grace Hopper) on a tinted canvas; `colour` makes distinct files."""
    image = Image.new("RGB", (width, height), colour)
    side = min(width, height, 400)
    face = _face().resize((side, side), Image.Resampling.LANCZOS)
    image.paste(face, ((width - side) // 2, (height - side) // 2))
    # A marker in the top-left corner shows which way is up after EXIF rotation.
    ImageDraw.Draw(image).rectangle((0, 0, width // 8, height // 16), fill=(255, 0, 0))
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def jpeg_with_orientation(image: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # a GPS latitude that must not survive ingest
    return encode(image, "JPEG", exif=exif.tobytes())


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header claims a huge picture (the pixels are one compressed zero run)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    body = zlib.compress(row * 64, 9)  # only the start: decoding must never get this far
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
