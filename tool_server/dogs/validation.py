"""Checks that a generated dog avatar looks like the style asks, vectorised with numpy.

Each check is reported by name with its measured value and threshold, so a failure can be named
to the coach and stored for review:

- `transparency`: an alpha channel with a real share of fully transparent pixels;
- `no_checkerboard`: the border is not a baked-in grey/white tile pattern painted where the
  transparency should be (what image models draw when asked for "transparent" without alpha);
- `monoline_style`: the seed's heuristic, dark + light pixels > 80% of the visible ones;
- `not_blank`: enough drawn (visible, not light) pixels;
- `centred`: the centroid of the drawing is near the middle of the canvas;
- `margins`: the drawing touches at most one edge (a neck may be cut by the bottom edge).

All functions are blocking CPU work: the service runs them through `anyio.to_thread.run_sync`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from tool_server.dogs.checks import ValidationCheck, ValidationReport

Pixels = npt.NDArray[np.uint8]  # (height, width, 4) RGBA
Packed = npt.NDArray[np.uint32]  # one RGBA pixel per little-endian uint32: alpha is the top byte

VISIBLE_ALPHA = 128  # the seed's "non-transparent": alpha > 128
CLEAR_ALPHA = 16  # at or below: a transparent pixel
OPAQUE_ALPHA = 250
LIGHT_TILE_AT_LEAST = 128  # checkerboard tiles are light greys and white
DARK_BELOW = 80  # the seed's thresholds: every channel < 80 is dark, every channel > 200 is light
LIGHT_ABOVE = 200

MIN_TRANSPARENT_SHARE = 0.2
MAX_CHECKERBOARD_SCORE = 0.5
MIN_MONOLINE_SHARE = 0.8
MIN_INK_SHARE = 0.002
MAX_CENTROID_OFFSET = 0.15
MAX_EDGES_TOUCHED = 1
EDGE_BAND = 0.01  # share of the side within which the drawing "touches" an edge


@dataclass(frozen=True)
class DecodedAvatar:
    pixels: Pixels
    has_alpha: bool  # the file had an alpha channel (an RGB file is given alpha 255 everywhere)


def decode_rgba(data: bytes) -> DecodedAvatar:
    """Decode image bytes to an RGBA array; ValueError when they are no readable image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ValueError(f"not a readable image: {exc}") from exc
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    return DecodedAvatar(np.asarray(rgba), has_alpha)


def encode_png(pixels: Pixels) -> bytes:
    """RGBA pixels as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def validate_avatar(data: bytes) -> ValidationReport:
    """Decode `data` and run every check; bytes that are no image give one failed `decodable` check."""
    try:
        decoded = decode_rgba(data)
    except ValueError:
        return ValidationReport(
            (
                ValidationCheck(
                    name="decodable", passed=False, value=0, threshold=1, message="The bytes are no image."
                ),
            )
        )
    return validate_pixels(decoded.pixels, has_alpha=decoded.has_alpha)


def validate_pixels(pixels: Pixels, *, has_alpha: bool = True) -> ValidationReport:
    """Run every check on an RGBA array of shape (height, width, 4).

    Speed comes from never splitting the image into channel planes: each pixel is read as one
    little-endian uint32 (alpha in the top byte), so "visible" and "transparent" are single
    comparisons; colour tests compare the interleaved bytes at once, on the visible pixels only
    when they are few; the checkerboard test reads only the border bands.
    """
    if pixels.ndim != 3 or pixels.shape[2] != 4 or pixels.dtype != np.uint8:
        raise ValueError(f"expected RGBA uint8 pixels, got shape {pixels.shape} of {pixels.dtype}")
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    packed = pixels.view("<u4").reshape(-1)
    visible = packed > _alpha_above(VISIBLE_ALPHA)
    shown = int(np.count_nonzero(visible))
    if shown * 2 < packed.size:  # mostly transparent (the usual avatar): test the visible pixels only
        visible_at = np.flatnonzero(visible)
        colours = packed[visible_at]
        dark, light = _dark(colours), _light(colours)
        dark_or_light = int(np.count_nonzero(dark | light))
        ink_at = visible_at[~light]
    else:  # mostly opaque: whole-image tests are cheaper than gathering
        dark, light = _dark(packed), _light(packed)
        dark_or_light = int(np.count_nonzero(visible & (dark | light)))
        ink_at = np.flatnonzero(visible & ~light)
    clear = np.count_nonzero(packed <= _alpha_above(CLEAR_ALPHA)) if has_alpha else 0
    return ValidationReport(
        (
            _transparency(clear / packed.size, has_alpha),
            _no_checkerboard(checkerboard_score(pixels)),
            _monoline(shown, dark_or_light),
            *_composition(ink_at, height, width),
        )
    )


def _dark(colours: Packed) -> npt.NDArray[np.bool_]:
    """The seed's dark: every channel below 80."""
    return _every_rgb_byte(colours.view(np.uint8) < DARK_BELOW)


def _light(colours: Packed) -> npt.NDArray[np.bool_]:
    """The seed's light: every channel above 200."""
    return _every_rgb_byte(colours.view(np.uint8) > LIGHT_ABOVE)


def _every_rgb_byte(byte_test: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Per pixel, whether the R, G and B bytes all passed: one comparison over packed bool bytes."""
    return (byte_test.view("<u4") & 0x010101) == 0x010101


def _alpha_above(alpha: int) -> int:
    """The largest packed RGBA value whose alpha is `alpha`: `packed > it` means alpha > `alpha`."""
    return (alpha << 24) | 0xFFFFFF


def _transparency(share: float, has_alpha: bool) -> ValidationCheck:
    if not has_alpha:
        message = "The image has no alpha channel: its background is painted, not transparent."
    else:
        message = f"{share:.1%} of the pixels are transparent (at least {MIN_TRANSPARENT_SHARE:.0%} needed)."
    return ValidationCheck(
        name="transparency",
        passed=share >= MIN_TRANSPARENT_SHARE,
        value=round(share, 4),
        threshold=MIN_TRANSPARENT_SHARE,
        message=message,
    )


def _no_checkerboard(score: float) -> ValidationCheck:
    passed = score < MAX_CHECKERBOARD_SCORE
    message = (
        "No tile pattern in the border."
        if passed
        else "The background is a baked-in checkerboard (grey and white squares painted where transparency "
        "should be), not real transparency."
    )
    return ValidationCheck(
        name="no_checkerboard",
        passed=passed,
        value=round(score, 4),
        threshold=MAX_CHECKERBOARD_SCORE,
        message=message,
    )


def checkerboard_score(pixels: Pixels, band_share: float = 1 / 24) -> float:
    """How much the opaque border looks like alternating tiles: ~1 for a checkerboard, ~0 otherwise.

    The four border bands are turned into a +-1 signal (brighter or darker than the band's
    opaque mean; transparent and flat pixels are 0). A tile pattern of side L gives a row
    autocorrelation of -1 at lag L and +1 at 2L. The score is the weaker of the horizontal
    (top/bottom bands) and vertical (left/right bands) periodicity, so stripes or a single
    textured edge do not count; the best tile size is searched between 2 and a quarter side.
    """
    height, width = pixels.shape[:2]
    band = max(8, int(min(height, width) * band_share))
    # Lines 5 px apart: tiles are taller than that, and half a dozen lines per band are plenty.
    lines = slice(2, band, 5)
    horizontal = _strongest((pixels[lines], pixels[-band:][lines]))
    if horizontal < MAX_CHECKERBOARD_SCORE:
        return horizontal
    vertical = _strongest(
        (pixels[:, lines].transpose(1, 0, 2), pixels[:, -band:][:, lines].transpose(1, 0, 2))
    )
    return min(horizontal, vertical)


def _strongest(strips: tuple[Pixels, Pixels]) -> float:
    """The higher periodicity of two opposite bands (the second is skipped once the first is a pattern)."""
    first = _periodicity(strips[0])
    return first if first >= MAX_CHECKERBOARD_SCORE else max(first, _periodicity(strips[1]))


def _periodicity(strip: Pixels) -> float:
    """Square-wave periodicity along the rows of an RGBA `strip` (0..1)."""
    opaque = strip[..., 3] >= OPAQUE_ALPHA
    if np.count_nonzero(opaque) < opaque.size // 2:
        return 0.0
    values = np.maximum(np.maximum(strip[..., 0], strip[..., 1]), strip[..., 2]).astype(np.float32)
    # Painted transparency is light; strokes crossing the band are left out of the mean and the signal.
    light = opaque & (values >= LIGHT_TILE_AT_LEAST)
    if not light.any():
        return 0.0
    deviation = values - values[light].mean()
    # Flat areas (JPEG noise on white included) give 0, not a random sign.
    signal = np.where(light & (np.abs(deviation) > 4), np.sign(deviation), 0).astype(np.float32)
    energy = float(np.square(signal).sum())
    if energy == 0:
        return 0.0
    length = signal.shape[1]
    spectrum = np.fft.rfft(signal, n=2 * length, axis=1)
    autocorrelation = (
        np.fft.irfft((spectrum * spectrum.conj()).real.sum(axis=0), n=2 * length)[:length] / energy
    )
    max_tile = length // 4
    tiles = np.arange(2, max_tile)
    return float(np.clip(((autocorrelation[2 * tiles] - autocorrelation[tiles]) / 2).max(initial=0.0), 0, 1))


def _monoline(shown: int, dark_or_light: int) -> ValidationCheck:
    share = dark_or_light / shown if shown else 0.0
    return ValidationCheck(
        name="monoline_style",
        passed=share > MIN_MONOLINE_SHARE,
        value=round(share, 4),
        threshold=MIN_MONOLINE_SHARE,
        message=f"{share:.1%} of the visible pixels are dark strokes or light areas "
        f"(more than {MIN_MONOLINE_SHARE:.0%} needed; colour, grey shading or gradients lower it).",
    )


def _composition(
    ink_at: npt.NDArray[np.intp], height: int, width: int
) -> tuple[ValidationCheck, ValidationCheck, ValidationCheck]:
    """not_blank, centred and margins from the flat indices of the drawn pixels."""
    drawn = ink_at.size
    share = drawn / (height * width)
    not_blank = ValidationCheck(
        name="not_blank",
        passed=share >= MIN_INK_SHARE,
        value=round(share, 5),
        threshold=MIN_INK_SHARE,
        message=f"{share:.2%} of the canvas is drawn (at least {MIN_INK_SHARE:.1%} needed).",
    )
    if drawn == 0:
        nothing = "Nothing is drawn, so there is no composition to check."
        return (
            not_blank,
            ValidationCheck(
                name="centred", passed=False, value=1, threshold=MAX_CENTROID_OFFSET, message=nothing
            ),
            ValidationCheck(
                name="margins", passed=False, value=4, threshold=MAX_EDGES_TOUCHED, message=nothing
            ),
        )
    rows, columns = np.divmod(ink_at, width)
    centre_y = float(rows.mean()) / (height - 1)
    centre_x = float(columns.mean()) / (width - 1)
    offset = max(abs(centre_x - 0.5), abs(centre_y - 0.5))
    centred = ValidationCheck(
        name="centred",
        passed=offset <= MAX_CENTROID_OFFSET,
        value=round(offset, 4),
        threshold=MAX_CENTROID_OFFSET,
        message=f"The drawing's centre is at ({centre_x:.0%}, {centre_y:.0%}) of the canvas "
        f"(at most {MAX_CENTROID_OFFSET:.0%} off the middle allowed).",
    )
    band_y, band_x = max(1, round(height * EDGE_BAND)), max(1, round(width * EDGE_BAND))
    sides = {
        "top": rows.min() < band_y,
        "bottom": rows.max() >= height - band_y,
        "left": columns.min() < band_x,
        "right": columns.max() >= width - band_x,
    }
    touched = [side for side, hit in sides.items() if hit]
    margins = ValidationCheck(
        name="margins",
        passed=len(touched) <= MAX_EDGES_TOUCHED,
        value=len(touched),
        threshold=MAX_EDGES_TOUCHED,
        message=f"The drawing touches {', '.join(touched) or 'no'} edge{'s' if len(touched) != 1 else ''} "
        f"(at most {MAX_EDGES_TOUCHED} allowed: the subject should sit inside the canvas).",
    )
    return not_blank, centred, margins


# The seed's check, copied verbatim ("Avatar Generation V2", section 5): the baseline of
# benchmarks/dog_validation_bench.py and the oracle of the vectorised `monoline_style` check.
def seed_validate_monoline_style(image_bytes: bytes) -> bool:
    """
    Basic heuristic: most non-transparent pixels should be dark (stroke).
    Returns True if style looks like monoline outline.
    """
    img = Image.open(io.BytesIO(image_bytes)).convert("RGBA")
    pixels = list(img.getdata())

    non_transparent = [(r, g, b) for r, g, b, a in pixels if a > 128]
    if not non_transparent:
        return False

    # Check if most visible pixels are near-black (stroke) or near-white (background)
    dark_count = sum(1 for r, g, b in non_transparent if r < 80 and g < 80 and b < 80)
    light_count = sum(1 for r, g, b in non_transparent if r > 200 and g > 200 and b > 200)

    # Monoline should be mostly stroke (dark) with some light areas
    return (dark_count + light_count) / len(non_transparent) > 0.8
