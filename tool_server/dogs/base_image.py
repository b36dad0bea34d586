"""The canonical dog every avatar is edited from: a monoline outline of a head and neck, no paws.

The drawing is authored here as SVG path data (absolute M/L/C/Z on a 1024 canvas), so it can be
reviewed as `dog_base.svg` and rendered without an SVG library: Pillow draws the flattened
paths at 4x on a coverage mask, a box filter takes it down to 1024x1024 for antialiasing, and
the mask becomes the alpha channel of a single dark stroke colour. Rendering happens at first
use and is cached in memory. `settings.dog_base_image` may name another PNG instead.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from tool_server.errors import ConfigError
from tool_server.mime import sniff_mime

if TYPE_CHECKING:
    from PIL import Image

    from tool_server.settings import Settings

CANVAS = 1024
STROKE_WIDTH = 22
STROKE_COLOUR = "#1a1a1a"
SUPERSAMPLE = 4
SVG_FILE = Path(__file__).with_name("dog_base.svg")

Point = tuple[float, float]


def circle_path(cx: float, cy: float, r: float) -> str:
    """SVG path data for a circle as four cubic arcs (the renderer knows only M/L/C/Z)."""
    k = 0.5523 * r  # cubic handle length that approximates a quarter circle
    return (
        f"M {cx} {cy - r} C {cx + k} {cy - r} {cx + r} {cy - k} {cx + r} {cy} "
        f"C {cx + r} {cy + k} {cx + k} {cy + r} {cx} {cy + r} "
        f"C {cx - k} {cy + r} {cx - r} {cy + k} {cx - r} {cy} "
        f"C {cx - r} {cy - k} {cx - k} {cy - r} {cx} {cy - r} Z"
    )


# Front view, symmetric about x=512: (name, path data, filled). Ears hang from the top of the
# skull; the jaw starts at the ears' inner edges; the neck ends in a collar with a round tag (a
# place for badges). Open paths get round caps; filled shapes are the nose and the eyes.
DOG_PATHS: tuple[tuple[str, str, bool], ...] = (
    ("skull", "M 364 330 C 372 206 652 206 660 330", False),
    (
        "ear-left",
        "M 364 330 C 302 314 252 350 242 430 C 232 512 256 576 302 584 C 346 592 368 548 374 484",
        False,
    ),
    (
        "ear-right",
        "M 660 330 C 722 314 772 350 782 430 C 792 512 768 576 722 584 C 678 592 656 548 650 484",
        False,
    ),
    ("jaw", "M 374 484 C 380 604 440 668 512 668 C 584 668 644 604 650 484", False),
    ("brow-left", "M 414 386 C 428 372 452 372 466 384", False),
    ("brow-right", "M 558 384 C 572 372 596 372 610 386", False),
    ("eye-left", circle_path(440, 432, 18), True),
    ("eye-right", circle_path(584, 432, 18), True),
    (
        "nose",
        "M 476 510 C 476 486 548 486 548 510 C 548 532 528 548 512 548 C 496 548 476 532 476 510 Z",
        True,
    ),
    ("mouth", "M 512 548 L 512 570 M 468 566 C 478 594 506 596 512 570 C 518 596 546 594 556 566", False),
    ("neck-left", "M 428 648 C 422 682 416 712 412 744", False),
    ("neck-right", "M 596 648 C 602 682 608 712 612 744", False),
    (
        "collar",
        "M 406 742 C 470 776 554 776 618 742 C 638 732 646 778 626 788 "
        "C 556 824 468 824 398 788 C 378 778 386 732 406 742 Z",
        False,
    ),
    ("tag", circle_path(512, 846, 26), False),
)

_TOKEN = re.compile(r"[MLCZ]|-?\d+(?:\.\d+)?")
_FILL = f' fill="{STROKE_COLOUR}"'
_render_lock = threading.Lock()


def dog_svg() -> str:
    """The base dog as an SVG document (the reviewable source of the PNG)."""
    paths = "\n".join(
        f'    <path id="{name}" d="{d}"{_FILL if filled else ""}/>' for name, d, filled in DOG_PATHS
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CANVAS}" height="{CANVAS}" '
        f'viewBox="0 0 {CANVAS} {CANVAS}">\n'
        f'  <g fill="none" stroke="{STROKE_COLOUR}" stroke-width="{STROKE_WIDTH}" '
        'stroke-linecap="round" stroke-linejoin="round">\n'
        f"{paths}\n  </g>\n</svg>\n"
    )


def parse_path(d: str) -> list[tuple[list[Point], bool]]:
    """Flatten absolute M/L/C/Z path data into polylines, each with whether it is closed."""
    tokens = _TOKEN.findall(d)
    polylines: list[tuple[list[Point], bool]] = []
    current: list[Point] = []
    i = 0

    def numbers(count: int) -> list[float]:
        nonlocal i
        values = [float(t) for t in tokens[i : i + count]]
        if len(values) != count:
            raise ValueError(f"path data ends early: {d!r}")
        i += count
        return values

    while i < len(tokens):
        command = tokens[i]
        i += 1
        if command == "M":
            if len(current) > 1:
                polylines.append((current, False))
            x, y = numbers(2)
            current = [(x, y)]
        elif command == "L":
            x, y = numbers(2)
            current.append((x, y))
        elif command == "C":
            x1, y1, x2, y2, x, y = numbers(6)
            current.extend(_cubic(current[-1], (x1, y1), (x2, y2), (x, y)))
        elif command == "Z":
            current.append(current[0])
            polylines.append((current, True))
            current = []
        else:
            raise ValueError(f"unsupported path command {command!r} in {d!r}")
    if len(current) > 1:
        polylines.append((current, False))
    return polylines


def _cubic(p0: Point, p1: Point, p2: Point, p3: Point) -> Iterator[Point]:
    hull = sum(abs(b[0] - a[0]) + abs(b[1] - a[1]) for a, b in ((p0, p1), (p1, p2), (p2, p3)))
    steps = max(8, int(hull / 6))  # a vertex every few pixels keeps curves smooth at 4x
    for k in range(1, steps + 1):
        t = k / steps
        u = 1 - t
        a, b, c, e = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
        yield (a * p0[0] + b * p1[0] + c * p2[0] + e * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + e * p3[1])


def render_base_image(size: int = CANVAS) -> Image.Image:
    """Draw the dog as an RGBA image of `size` x `size`: dark strokes on full transparency."""
    return render_paths(DOG_PATHS, size)


def render_paths(paths: Iterable[tuple[str, str, bool]], size: int = CANVAS) -> Image.Image:
    """Draw (name, path data, filled) paths on the 1024 canvas as monoline strokes, at `size` px."""
    from PIL import Image, ImageDraw

    big = size * SUPERSAMPLE
    scale = big / CANVAS
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    width = round(STROKE_WIDTH * scale)
    radius = width / 2
    for _, d, filled in paths:
        for points, _closed in parse_path(d):
            scaled = [(x * scale, y * scale) for x, y in points]
            if filled:
                draw.polygon(scaled, fill=255)
            draw.line(scaled, fill=255, width=width)
            # A disc on every vertex makes round caps and joins and closes the hairline gaps
            # Pillow leaves between the quads of consecutive segments.
            for x, y in scaled:
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    alpha = mask.resize((size, size), Image.Resampling.BOX)
    image = Image.new("RGBA", (size, size), STROKE_COLOUR)
    image.putalpha(alpha)
    return image


@functools.cache
def _builtin_png() -> bytes:
    buffer = io.BytesIO()
    render_base_image().save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def builtin_base_png() -> bytes:
    """The built-in base dog as PNG bytes, rendered once per process (thread-safe)."""
    with _render_lock:
        return _builtin_png()


@functools.lru_cache(maxsize=4)
def _read_custom(path: Path, mtime_ns: int, size: int) -> bytes:
    data = path.read_bytes()
    if sniff_mime(data) != "image/png":
        raise ConfigError(f"COACH_IMAGE_DOG_BASE_IMAGE={path} is not a PNG: point it at a transparent PNG.")
    return data


def _custom_path(settings: Settings) -> Path | None:
    return settings.dog_base_image.expanduser() if settings.dog_base_image else None


def load_base_image(settings: Settings) -> bytes:
    """The PNG every avatar is edited from: `settings.dog_base_image` if set, else the built-in dog.

    Blocking (file I/O or rendering on first use): call it through `anyio.to_thread.run_sync`.
    """
    path = _custom_path(settings)
    if path is None:
        return builtin_base_png()
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(
            f"COACH_IMAGE_DOG_BASE_IMAGE={path} cannot be read ({exc.strerror}): fix the path or unset it."
        ) from exc
    return _read_custom(path, stat.st_mtime_ns, stat.st_size)


def base_image_hash(settings: Settings) -> str:
    """SHA-256 naming the base image in cache keys.

    For the built-in dog it hashes the SVG source, not the PNG bytes, so a Pillow upgrade that
    changes a few encoded bytes does not invalidate every cached avatar; a custom base is
    hashed by its file content.
    """
    if _custom_path(settings) is None:
        return _builtin_hash()
    return _content_hash(load_base_image(settings))


@functools.lru_cache(maxsize=4)
def _content_hash(data: bytes) -> str:
    # Asked on every cache lookup (the hot path): the same bytes object is hashed once.
    return hashlib.sha256(data).hexdigest()


@functools.cache
def _builtin_hash() -> str:
    return hashlib.sha256(dog_svg().encode()).hexdigest()


def write_svg(path: Path = SVG_FILE) -> None:
    """Refresh `dog_base.svg` after editing the path data (`python -m tool_server.dogs.base_image`)."""
    path.write_text(dog_svg(), encoding="utf-8")


if __name__ == "__main__":
    write_svg()
    print(f"wrote {SVG_FILE}")
