from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.dogs import fakes
from tool_server.dogs.background_removal import flood_from_border, remove_white_background_png
from tool_server.dogs.validation import validate_avatar


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA"
        return np.asarray(image)


@pytest.mark.parametrize("encode", [fakes.png, fakes.jpeg])
def test_a_drawing_on_white_gets_a_real_alpha_channel_and_passes_validation(
    encode: Callable[[Image.Image], bytes],
) -> None:
    original = np.asarray(fakes.dog())
    removed = remove_white_background_png(encode(fakes.on_background(fakes.dog(), fakes.white())))
    result = _decode(removed)

    alpha = result[..., 3]
    assert alpha[[0, 0, -1, -1], [0, -1, 0, -1]].tolist() == [0, 0, 0, 0]
    solid = original[..., 3] == 255
    assert (alpha[solid] >= 250).mean() > 0.99  # strokes stay opaque
    assert validate_avatar(removed).passed


def test_white_enclosed_by_the_outline_stays_white_and_opaque() -> None:
    result = _decode(remove_white_background_png(fakes.opaque_png()))
    face = result[470, 600]  # the right cheek, inside the outline
    assert face.tolist() == [255, 255, 255, 255]


def test_antialiased_edges_become_partial_alpha_that_looks_the_same_on_white() -> None:
    on_white = fakes.on_background(fakes.dog(), fakes.white())
    result = Image.open(io.BytesIO(remove_white_background_png(fakes.png(on_white))))
    recomposited = np.asarray(fakes.on_background(result.convert("RGBA"), fakes.white())).astype(int)
    assert np.abs(recomposited - np.asarray(on_white).astype(int)).max() <= 2
    alpha = np.asarray(result)[..., 3]
    assert np.count_nonzero((alpha > 0) & (alpha < 255)) > 1000


def test_a_checkerboard_is_not_mistaken_for_white_background() -> None:
    result = _decode(remove_white_background_png(fakes.checkerboard_png()))
    assert "no_checkerboard" in validate_avatar(fakes.png(Image.fromarray(result))).failed


def _reference_flood(mask: np.ndarray) -> np.ndarray:
    height, width = mask.shape
    seen = np.zeros_like(mask)
    queue = deque((y, x) for y in range(height) for x in range(width) if mask[y, x] and y in (0, height - 1))
    queue.extend((y, x) for y in range(height) for x in (0, width - 1) if mask[y, x])
    while queue:
        y, x = queue.popleft()
        if seen[y, x]:
            continue
        seen[y, x] = True
        for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
            if 0 <= ny < height and 0 <= nx < width and mask[ny, nx] and not seen[ny, nx]:
                queue.append((ny, nx))
    return seen


@pytest.mark.parametrize("seed", range(6))
def test_the_vectorised_flood_fill_matches_a_breadth_first_search(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mask = rng.random((48, 61)) < 0.58  # near the percolation threshold: long winding paths
    assert np.array_equal(flood_from_border(mask), _reference_flood(mask))


def test_the_flood_fill_follows_a_spiral_corridor_to_its_end() -> None:
    image = Image.new("L", (200, 200), 255)
    draw = ImageDraw.Draw(image)
    for i in range(0, 90, 12):  # concentric squares, each opened on alternating sides
        draw.rectangle((i, i, 199 - i, 199 - i), outline=0, width=4)
        gap = (i + 6, 199 - i - 4, i + 10, 199 - i) if i % 24 == 0 else (199 - i - 10, i, 199 - i - 6, i + 4)
        draw.rectangle(gap, fill=255)
    mask = np.asarray(image) == 255
    assert np.array_equal(flood_from_border(mask), _reference_flood(mask))
