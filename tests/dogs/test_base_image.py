from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tool_server.dogs.base_image import (
    DOG_PATHS,
    SVG_FILE,
    base_image_hash,
    builtin_base_png,
    dog_svg,
    load_base_image,
)
from tool_server.dogs.validation import validate_avatar
from tool_server.errors import ConfigError
from tool_server.settings import Settings


def _pixels() -> np.ndarray:
    with Image.open(io.BytesIO(builtin_base_png())) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (1024, 1024))
        return np.asarray(image)


def test_the_base_dog_is_a_1024_rgba_png_with_a_transparent_background() -> None:
    pixels = _pixels()
    alpha = pixels[..., 3]
    assert alpha[[0, 0, -1, -1], [0, -1, 0, -1]].tolist() == [0, 0, 0, 0]
    assert (alpha == 0).mean() > 0.85


def test_the_base_dog_is_drawn_in_one_dark_stroke_colour_with_solid_strokes() -> None:
    pixels = _pixels()
    drawn = pixels[pixels[..., 3] > 0]
    assert {tuple(c) for c in drawn[:, :3].tolist()} == {(0x1A, 0x1A, 0x1A)}
    # Antialiasing lives on stroke edges only: a seam inside strokes would add partial pixels.
    partial = np.count_nonzero((pixels[..., 3] > 0) & (pixels[..., 3] < 255))
    assert partial < 0.3 * np.count_nonzero(pixels[..., 3] == 255)


def test_the_base_dog_passes_every_avatar_check() -> None:
    report = validate_avatar(builtin_base_png())
    assert report.passed, report.checks


def test_the_base_dog_is_a_head_and_neck_without_paws() -> None:
    names = {name.removesuffix("-left").removesuffix("-right") for name, _, _ in DOG_PATHS}
    assert names == {"skull", "ear", "jaw", "brow", "eye", "nose", "mouth", "neck", "collar", "tag"}
    rows = np.flatnonzero((_pixels()[..., 3] > 0).any(axis=1))
    # Nothing below the collar tag: no chest, no legs.
    assert rows.max() < 0.87 * 1024


def test_the_reviewable_svg_is_the_source_that_is_rendered() -> None:
    assert SVG_FILE.read_text(encoding="utf-8") == dog_svg(), "run: python -m tool_server.dogs.base_image"


def test_the_base_image_is_rendered_once_and_kept_in_memory() -> None:
    assert builtin_base_png() is builtin_base_png()


def test_a_configured_base_image_replaces_the_built_in_one_and_its_hash(tmp_path: Path) -> None:
    custom = tmp_path / "other-dog.png"
    buffer = io.BytesIO()
    Image.new("RGBA", (512, 512), (0, 0, 0, 0)).save(buffer, format="PNG")
    custom.write_bytes(buffer.getvalue())
    default = Settings(_env_file=None)
    configured = Settings(_env_file=None, dog_base_image=custom)

    assert load_base_image(default) == builtin_base_png()
    assert load_base_image(configured) == custom.read_bytes()
    assert base_image_hash(configured) != base_image_hash(default)


@pytest.mark.parametrize("content", [None, b"GIF89a not a png"])
def test_a_missing_or_non_png_base_image_is_a_config_error(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "dog.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError, match="COACH_IMAGE_DOG_BASE_IMAGE"):
        load_base_image(Settings(_env_file=None, dog_base_image=path))
