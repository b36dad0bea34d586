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


# Strings planted in every kind of metadata a camera or an editor writes; none may be stored.
SECRETS = {
    "COM": b"SECRET-COMMENT",
    "EXIF": b"SECRET-CAMERA-OWNER",
    "maker note": b"SECRET-MAKERNOTE",
    "XMP": b"SECRET-XMP",
    "IPTC": b"SECRET-IPTC",
    "ICC": b"SECRET-ICC",
}
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>SECRET-XMP</rdf:RDF></x:xmpmeta>'
# GPS latitude 52 deg 22 min 12.345 s: its rational numerators, as stored, must not survive either.
GPS_LATITUDE = (52.0, 22.0, 12.345)


def swapped_primaries_icc() -> bytes:
    """An ICC v2 RGB matrix profile whose red and green primaries are sRGB's swapped.

    A pixel (255, 0, 0) in a file tagged with it is pure green, so converting to sRGB is visible.
    """

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    gamma = b"curv\0\0\0\0" + struct.pack(">IH", 1, 563) + b"\0\0"  # 2.2 as u8Fixed8
    text = b"SECRET-ICC\0"
    tags = [
        (b"desc", b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 12 + b"\0" * 67),
        (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz(0.3851, 0.7169, 0.0971)),  # sRGB's green
        (b"gXYZ", xyz(0.4361, 0.2225, 0.0139)),  # sRGB's red
        (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2026, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def _exif() -> bytes:
    exif = Image.Exif()
    exif[0x013B] = SECRETS["EXIF"].decode()  # Artist
    exif[0x8825] = {1: "N", 2: GPS_LATITUDE, 3: "E", 4: (4.0, 53.0, 1.0)}
    exif[0x8769] = {0x927C: SECRETS["maker note"]}  # MakerNote, in the Exif IFD
    return exif.tobytes()


def _iptc_segment() -> bytes:
    """An APP13 Photoshop segment holding an IPTC caption (Pillow cannot write one)."""
    caption = b"\x1c\x02\x78" + struct.pack(">H", len(SECRETS["IPTC"])) + SECRETS["IPTC"]
    resource = b"8BIM\x04\x04\0\0" + struct.pack(">I", len(caption)) + caption
    payload = b"Photoshop 3.0\0" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def photo_with_all_metadata(image: Image.Image, fmt: str) -> bytes:
    """`image` as JPEG, PNG or WebP carrying EXIF (GPS, maker note), XMP, ICC and, where the format
    has them, a comment and IPTC."""
    icc = swapped_primaries_icc()
    if fmt == "JPEG":
        data = encode(image, "JPEG", exif=_exif(), icc_profile=icc, xmp=XMP, comment=SECRETS["COM"])
        return data[:2] + _iptc_segment() + data[2:]  # right after SOI
    if fmt == "PNG":
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", SECRETS["COM"].decode())
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        info.add_text("Raw profile type iptc", SECRETS["IPTC"].hex())
        return encode(image, "PNG", pnginfo=info, exif=_exif(), icc_profile=icc)
    return encode(image, "WEBP", exif=_exif(), icc_profile=icc, xmp=XMP, quality=95)


def jpeg_segments(data: bytes) -> list[int]:
    """The marker bytes of a JPEG's segments up to the start of scan (0xE1 APP1, 0xFE COM...)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        at += 2 + struct.unpack(">H", data[at + 2 : at + 4])[0]
    return markers
