"""Dog avatar validation: the vectorised checks next to the seed's pure-Python loop, same images.

    python -m benchmarks.dog_validation_bench [--runs 11]

Two 1024x1024 images: a transparent monoline avatar (what passes) and the same dog on a baked-in
checkerboard (every pixel visible: the seed loop's worst case). For each it prints medians of:

- seed:        `seed_validate_monoline_style(png)`, copied verbatim (decode + one check in loops);
- ours:        `validate_avatar(png)` (decode + all six checks);
- decode:      the PNG decode both share (`Image.open(...).convert("RGBA")`);
- seed loop:   seed minus decode, the per-pixel Python work;
- ours checks: `validate_pixels(array)`, the six checks on decoded pixels (what the service runs).

The target ratio (>= 50x) is for the pixel work (seed loop / ours checks): decoding the PNG is
the same C code on both sides and bounds any end-to-end ratio at about seed / decode.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PIL import Image, ImageDraw

from tool_server.dogs.base_image import render_base_image
from tool_server.dogs.validation import (
    decode_rgba,
    seed_validate_monoline_style,
    validate_avatar,
    validate_pixels,
)

TARGET_RATIO = 50.0


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _avatar() -> Image.Image:
    image = render_base_image()
    ImageDraw.Draw(image).rounded_rectangle((430, 150, 594, 230), radius=20, outline="#1a1a1a", width=20)
    return image


def _on_checkerboard(image: Image.Image, tile: int = 16) -> Image.Image:
    y, x = np.mgrid[:1024, :1024]
    values = np.where((y // tile + x // tile) % 2 == 1, 255, 204).astype(np.uint8)
    canvas = Image.fromarray(np.stack([values] * 3, axis=2)).convert("RGBA")
    canvas.alpha_composite(image)
    return canvas.convert("RGB")


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm up: lazy imports, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGBA")


def measure(data: bytes, runs: int) -> dict[str, float]:
    """Medians in ms: seed, ours, decode, seed loop (seed - decode), ours checks; and both ratios."""
    pixels = decode_rgba(data).pixels
    assert validate_avatar(data).check("monoline_style").passed == seed_validate_monoline_style(data)
    seed = _median_ms(lambda: seed_validate_monoline_style(data), runs)
    ours = _median_ms(lambda: validate_avatar(data), runs)
    decode = _median_ms(lambda: _decode(data), runs)
    checks = _median_ms(lambda: validate_pixels(pixels), runs)
    seed_loop = max(seed - decode, 0.0)
    return {
        "seed_ms": seed,
        "ours_ms": ours,
        "decode_ms": decode,
        "seed_loop_ms": seed_loop,
        "ours_checks_ms": checks,
        "end_to_end_ratio": seed / ours,
        "pixel_work_ratio": seed_loop / checks,
    }


def test_images() -> dict[str, bytes]:
    """The two 1024x1024 images, by name."""
    avatar = _avatar()
    return {
        "transparent monoline avatar": _png(avatar),
        "baked-in checkerboard (all pixels visible)": _png(_on_checkerboard(avatar)),
    }


def quiet_deprecations() -> None:
    """The seed loop calls Image.getdata, deprecated in Pillow 12: it is copied verbatim on purpose."""
    warnings.filterwarnings(
        "ignore", message="Image.Image.getdata is deprecated", category=DeprecationWarning
    )


def bench(name: str, data: bytes, runs: int) -> float:
    m = measure(data, runs)
    print(f"\n{name} (1024x1024 RGBA, {len(data) / 1024:.0f} KiB PNG)")
    print(f"  seed (decode + 1 check, verbatim) {m['seed_ms']:9.2f} ms")
    ours, e2e = m["ours_ms"], m["end_to_end_ratio"]
    print(f"  ours (decode + 6 checks)          {ours:9.2f} ms   end to end: {e2e:6.1f}x")
    print(f"  decode alone                      {m['decode_ms']:9.2f} ms")
    print(f"  seed loop (seed - decode)         {m['seed_loop_ms']:9.2f} ms")
    checks, pixel = m["ours_checks_ms"], m["pixel_work_ratio"]
    print(f"  ours, 6 checks on pixels          {checks:9.2f} ms   pixel work: {pixel:6.1f}x")
    return m["pixel_work_ratio"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs per measurement (median)")
    args = parser.parse_args()
    quiet_deprecations()
    ratios = [bench(name, data, args.runs) for name, data in test_images().items()]
    worst = min(ratios)
    verdict = "met" if worst >= TARGET_RATIO else "NOT met"
    print(f"\npixel-work speed-up, worst image: {worst:.0f}x (target >= {TARGET_RATIO:.0f}x: {verdict})")
    return 0 if worst >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
