"""Image type detection from magic bytes: providers sometimes label JPEG bytes as image/png."""

from __future__ import annotations

_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/heic": "heic",
    "image/avif": "avif",
}


def sniff_mime(data: bytes) -> str | None:
    """The MIME type the bytes really are, or None when they are no image type we know."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "image/avif"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "image/heic"
    return None


def extension_for(mime_type: str) -> str:
    """The usual file extension for an image MIME type (`bin` if unknown)."""
    return _EXTENSIONS.get(mime_type, "bin")
