from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.dogs import fakes
from tool_server.dogs.validation import (
    MIN_MONOLINE_SHARE,
    seed_validate_monoline_style,
    validate_avatar,
    validate_pixels,
)


def _quarter(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return fakes.png(image.resize((256, 256), Image.Resampling.NEAREST))


def test_a_clean_monoline_avatar_passes_every_check() -> None:
    report = validate_avatar(fakes.good_png(hat=True))
    assert report.passed
    assert [c.name for c in report.checks] == [
        "transparency",
        "no_checkerboard",
        "monoline_style",
        "not_blank",
        "centred",
        "margins",
    ]


def test_an_opaque_image_fails_transparency_saying_there_is_no_alpha_channel() -> None:
    report = validate_avatar(fakes.opaque_png())
    assert report.failed == ["transparency"]
    assert "no alpha channel" in report.check("transparency").message


@pytest.mark.parametrize(("tile", "grey"), [(8, 204), (16, 204), (32, 230), (24, 191)])
def test_a_baked_in_checkerboard_is_caught_as_such(tile: int, grey: int) -> None:
    image = fakes.on_background(fakes.dog(), fakes.checkerboard(tile=tile, grey=grey))
    report = validate_avatar(fakes.png(image))
    check = report.check("no_checkerboard")
    assert not check.passed
    assert check.value > 0.8
    assert "checkerboard" in check.message


def test_a_checkerboard_is_caught_even_when_dark_strokes_cross_the_border() -> None:
    image = fakes.on_background(fakes.dog(), fakes.checkerboard())
    pixels = np.asarray(image).copy()
    pixels[:, :400] = pixels[:400, :] = 26  # a dark shape over much of the top and left bands
    assert not validate_avatar(fakes.png(Image.fromarray(pixels))).check("no_checkerboard").passed


def test_a_checkerboard_saved_as_rgba_with_full_alpha_is_caught_too() -> None:
    image = fakes.on_background(fakes.dog(), fakes.checkerboard()).convert("RGBA")
    report = validate_avatar(fakes.png(image))
    assert {"transparency", "no_checkerboard"} <= set(report.failed)


def test_checkerboard_colours_hidden_under_real_transparency_are_not_a_checkerboard() -> None:
    pixels = np.asarray(fakes.checkerboard().convert("RGBA")).copy()
    pixels[..., 3] = 0
    dog = np.asarray(fakes.dog())
    pixels[dog[..., 3] > 0] = dog[dog[..., 3] > 0]
    assert validate_pixels(pixels).passed


def test_plain_white_and_striped_backgrounds_are_not_checkerboards() -> None:
    stripes = np.repeat(np.asarray(fakes.checkerboard())[:1], 1024, axis=0)  # vertical stripes only
    for background in (fakes.white(), Image.fromarray(stripes)):
        report = validate_avatar(fakes.png(fakes.on_background(fakes.dog(), background)))
        assert report.check("no_checkerboard").passed


def test_colour_and_shading_fail_the_monoline_style() -> None:
    report = validate_avatar(fakes.colourful_png())
    assert "monoline_style" in report.failed
    assert report.check("monoline_style").value < MIN_MONOLINE_SHARE


@pytest.mark.filterwarnings("ignore:Image.Image.getdata is deprecated:DeprecationWarning")
def test_the_vectorised_monoline_check_agrees_with_the_seeds_loop() -> None:
    rng = np.random.default_rng(6)
    noisy = rng.integers(0, 256, size=(256, 256, 4), dtype=np.uint8)
    greys = np.dstack([np.full((64, 64), value, dtype=np.uint8) for value in (90, 90, 90, 255)])
    # Quarter-size copies keep the seed's loops quick; both sides see the same pixels.
    samples = [
        _quarter(fakes.good_png()),
        _quarter(fakes.opaque_png()),
        _quarter(fakes.checkerboard_png()),
        _quarter(fakes.colourful_png()),
        fakes.png(Image.fromarray(noisy)),
        fakes.png(Image.fromarray(greys)),
        fakes.jpeg(fakes.on_background(fakes.dog(), fakes.white()).resize((256, 256))),
    ]
    for data in samples:
        assert validate_avatar(data).check("monoline_style").passed == seed_validate_monoline_style(data)


def test_an_empty_canvas_is_blank() -> None:
    report = validate_pixels(np.zeros((512, 512, 4), dtype=np.uint8))
    assert {"monoline_style", "not_blank", "centred", "margins"} <= set(report.failed)


def test_a_drawing_in_a_corner_is_not_centred() -> None:
    pixels = np.zeros((1024, 1024, 4), dtype=np.uint8)
    pixels[40:300, 40:300] = (26, 26, 26, 255)
    report = validate_pixels(pixels)
    assert report.failed == ["centred"]


def test_a_drawing_cut_by_three_edges_fails_the_margins() -> None:
    pixels = np.zeros((1024, 1024, 4), dtype=np.uint8)
    pixels[0:2, :] = pixels[:800, 0:2] = pixels[:800, -2:] = (26, 26, 26, 255)
    pixels[400:600, 400:600] = (26, 26, 26, 255)
    check = validate_pixels(pixels).check("margins")
    assert not check.passed
    assert "top, left, right" in check.message


def test_bytes_that_are_no_image_fail_one_decodable_check() -> None:
    report = validate_avatar(b"<html>rate limited</html>")
    assert report.failed == ["decodable"]


def test_pixels_that_are_not_rgba_are_refused() -> None:
    with pytest.raises(ValueError, match="RGBA"):
        validate_pixels(np.zeros((8, 8, 3), dtype=np.uint8))
