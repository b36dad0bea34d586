"""Safe decoding of untrusted image bytes into an upright RGB picture without metadata.

Guards: a byte cap, a megapixel cap checked from the header before pixels are decoded (so a
decompression bomb never allocates), a minimum side and aspect ratio, truncated files, animated
images (first frame), odd modes (CMYK, 16-bit, palette, alpha), and EXIF orientation. The result
carries no metadata: colours are converted to sRGB, then every profile, comment and tag is dropped.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from tool_server.errors import InvalidInput, LimitExceeded
from tool_server.mime import sniff_mime

MAX_ASPECT_RATIO = 4.0
MAX_STORED_SIDE_PX = 4096
ACCEPTED = "JPEG, PNG, WebP or HEIC"


@dataclass(frozen=True)
class DecodeLimits:
    max_bytes: int
    max_megapixels: float
    min_side_px: int


@dataclass(frozen=True)
class DecodedImage:
    image: Image.Image  # upright, RGB
    source_format: str


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def decode_untrusted(data: bytes, limits: DecodeLimits) -> DecodedImage:
    """Decode `data` or raise InvalidInput / LimitExceeded with a message the coach can act on."""
    if not data:
        raise InvalidInput(f"The file is empty. Ask the user for a {ACCEPTED} photo.")
    if len(data) > limits.max_bytes:
        raise LimitExceeded(
            f"The file is {_mb(len(data))}; the limit is {_mb(limits.max_bytes)}. "
            "Ask the user for a smaller photo (a phone's 'medium' size or a screenshot works)."
        )
    mime = sniff_mime(data)
    if mime is None:
        raise InvalidInput(f"This is not an image the server can read. Ask the user for a {ACCEPTED} photo.")
    if mime in ("image/heic", "image/avif"):
        _register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            _check_dimensions(image.size, limits)
            image.seek(0)  # animated images: the first frame
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            rgb = _without_metadata(_to_rgb(_in_srgb(upright, image.info.get("icc_profile"))))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise LimitExceeded(
            f"The image is too large to open safely (over {limits.max_megapixels:g} megapixels). "
            "Ask the user for a smaller photo."
        ) from exc
    except UnidentifiedImageError as exc:
        raise InvalidInput(
            f"This is not an image the server can read. Ask the user for a {ACCEPTED} photo."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidInput(
            "The image file is damaged or truncated (it may not have finished uploading). "
            "Ask the user to upload it again."
        ) from exc
    if max(rgb.size) > MAX_STORED_SIDE_PX:
        rgb.thumbnail((MAX_STORED_SIDE_PX, MAX_STORED_SIDE_PX), Image.Resampling.LANCZOS)
    return DecodedImage(image=rgb, source_format=(image.format or mime.split("/")[1]).lower())


def _check_dimensions(size: tuple[int, int], limits: DecodeLimits) -> None:
    width, height = size
    if width * height > limits.max_megapixels * 1_000_000:
        raise LimitExceeded(
            f"The image is {width}x{height} ({width * height / 1e6:.0f} megapixels); the limit is "
            f"{limits.max_megapixels:g} megapixels. Ask the user for a smaller photo."
        )
    if min(width, height) < limits.min_side_px:
        raise InvalidInput(
            f"The image is {width}x{height}; its short side must be at least {limits.min_side_px} px "
            "so the face can be seen. Ask the user for a larger photo."
        )
    if max(width, height) / min(width, height) > MAX_ASPECT_RATIO:
        raise InvalidInput(
            f"The image is {width}x{height}, too long and thin for a portrait. "
            "Ask the user for an ordinary photo of their face."
        )


def _in_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """The pixels converted from their embedded colour profile to sRGB (the profile is then dropped).

    Stored photos keep no metadata, ICC profiles included (a profile can name the camera or the
    editing software). Dropping a Display P3 or Adobe RGB profile without converting would shift
    every colour, skin tones included, so the pixels are converted first and then read as sRGB,
    which is what browsers and image models assume for an untagged file. A broken profile is
    ignored rather than refusing the photo.
    """
    if not icc_profile or image.mode not in ("RGB", "CMYK", "L"):
        return image
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        srgb = ImageCms.createProfile("sRGB")
        if image.mode == "RGB":  # in place: no second copy of a large photo
            ImageCms.profileToProfile(image, source, srgb, inPlace=True)
            return image
        converted = ImageCms.profileToProfile(image, source, srgb, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def _without_metadata(image: Image.Image) -> Image.Image:
    """Forget what the source file carried: JPEG comments, EXIF (GPS, maker notes), XMP, IPTC, ICC.

    Encoders write some of `info` back (Pillow's JPEG encoder writes a source comment), so
    nothing of it may reach the stored copy.
    """
    image.info.clear()
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale: scale to 8 bits rather than clipping to white.
        import numpy as np

        array = np.asarray(image, dtype=np.float64)
        peak = array.max() or 1.0
        return Image.fromarray((array * (255.0 / peak)).astype("uint8"), "L").convert("RGB")
    return image.convert("RGB")


def encode_jpeg(image: Image.Image, quality: int = 92) -> bytes:
    """Re-encode without any metadata (no comment, EXIF, GPS, ICC, XMP or IPTC)."""
    buffer = io.BytesIO()
    # An explicit empty comment: Pillow otherwise copies a `comment` left in `image.info`.
    image.save(buffer, format="JPEG", quality=quality, optimize=True, comment=b"")
    return buffer.getvalue()


_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True
