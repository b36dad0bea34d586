"""Reference photos at ingest: quality gate, face crop, explicit crop, embedding."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from PIL import Image, ImageEnhance, ImageFilter

from tests import photos
from tool_server.errors import InvalidInput
from tool_server.faces import CropSpec, FaceAnalyzer

Embed = Callable[[Image.Image], list[float]]


def test_a_clear_portrait_is_ok_with_a_square_crop_and_an_embedding(
    analyzer: FaceAnalyzer, embed: Embed, grace_hopper: Image.Image
) -> None:
    result = analyzer.analyze_reference(grace_hopper)

    assert result.quality.verdict == "ok" and result.quality.reasons == []
    assert result.quality.face_count == 1
    assert result.quality.face_px is not None and result.quality.face_px >= 150
    assert result.face_crop is not None and result.face_crop.size == (512, 512)
    box, face = result.crop_box, result.quality.face_box
    assert box is not None and face is not None and not box.explicit
    assert box.x <= face.x and face.x + face.width <= box.x + box.size
    assert box.y <= face.y and face.y + face.height <= box.y + box.size
    assert result.embedding is not None and len(result.embedding) == 128
    assert analyzer.likeness(result.face_crop, [result.embedding]).passed
    json.loads(result.summary.model_dump_json())  # what the caller stores


def test_a_group_photo_is_rejected(analyzer: FaceAnalyzer) -> None:
    result = analyzer.analyze_reference(photos.group_photo())

    assert result.quality.verdict == "reject"
    assert result.quality.face_count == 3
    assert "Several faces of similar size: upload a photo of only you" in result.quality.reasons
    assert result.embedding is None


def test_one_dominant_face_with_a_small_background_face_warns(analyzer: FaceAnalyzer) -> None:
    result = analyzer.analyze_reference(photos.portrait_with_background_face())

    assert result.quality.verdict == "warn"
    assert result.quality.face_count == 2
    assert any("background" in reason for reason in result.quality.reasons)
    assert result.embedding is not None


def test_a_blurred_copy_warns(analyzer: FaceAnalyzer, grace_hopper: Image.Image) -> None:
    sharp = analyzer.analyze_reference(grace_hopper).quality
    blurred = analyzer.analyze_reference(grace_hopper.filter(ImageFilter.GaussianBlur(2))).quality

    assert sharp.blur is not None and blurred.blur is not None and blurred.blur < sharp.blur / 5
    assert blurred.verdict == "warn"
    assert "The photo is blurry: hold the phone steady and focus on the face" in blurred.reasons


def test_a_dark_copy_warns_for_light_but_not_for_blur(
    analyzer: FaceAnalyzer, grace_hopper: Image.Image
) -> None:
    quality = analyzer.analyze_reference(ImageEnhance.Brightness(grace_hopper).enhance(0.4)).quality

    assert quality.verdict == "warn"
    assert quality.reasons == ["The face is dark: more light, for example facing a window"]


@pytest.mark.parametrize("which", ["downscaled_hopper", "astronaut"])
def test_a_small_face_is_rejected(
    analyzer: FaceAnalyzer, grace_hopper: Image.Image, astronaut: Image.Image, which: str
) -> None:
    image = grace_hopper.resize((256, 300)) if which == "downscaled_hopper" else astronaut

    quality = analyzer.analyze_reference(image).quality

    assert quality.verdict == "reject"
    assert quality.face_px is not None and quality.face_px < 120
    assert quality.reasons[0].startswith(f"The face is small ({quality.face_px} px")


@pytest.mark.parametrize("image", [photos.gradient(), photos.dog_drawing()], ids=["gradient", "dog_drawing"])
def test_a_photo_without_a_face_is_rejected_without_crop_or_embedding(
    analyzer: FaceAnalyzer, image: Image.Image
) -> None:
    result = analyzer.analyze_reference(image)

    assert result.quality.verdict == "reject" and result.quality.face_count == 0
    assert result.quality.reasons == [
        "No face found: upload a clear photo of your face, looking at the camera"
    ]
    assert result.face_crop is None and result.crop_box is None and result.embedding is None


def test_an_explicit_crop_around_one_face_of_a_group_is_honoured(
    analyzer: FaceAnalyzer, embed: Embed, grace_hopper: Image.Image
) -> None:
    group = photos.group_photo()  # the first head is Grace Hopper, pasted at (30, 70), 360 px

    result = analyzer.analyze_reference(group, crop=CropSpec(x=10, y=50, size=400))

    assert result.quality.verdict == "ok"
    assert result.crop_box is not None and result.crop_box.explicit
    assert (result.crop_box.x, result.crop_box.y, result.crop_box.size) == (10, 50, 400)
    face = result.quality.face_box
    assert face is not None and face.x >= 10 and face.x + face.width <= 410  # in the photo's pixels
    assert result.face_crop is not None and result.face_crop.size == (512, 512)
    assert result.embedding is not None
    assert analyzer.likeness(grace_hopper, [result.embedding]).passed


@pytest.mark.parametrize(
    ("crop", "message"),
    [
        (CropSpec(x=900, y=0, size=400), "reaches outside the 1200x500 photo"),
        (CropSpec(x=0, y=200, size=400), "keep x \\+ size <= 1200 and y \\+ size <= 500"),
        (CropSpec(x=0, y=0, size=20), "at least 64 px"),
    ],
)
def test_a_crop_outside_the_photo_is_invalid_input(
    analyzer: FaceAnalyzer, crop: CropSpec, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        analyzer.analyze_reference(photos.group_photo(), crop=crop)


def test_negative_crop_coordinates_are_refused_by_the_model() -> None:
    with pytest.raises(ValueError):
        CropSpec(x=-1, y=0, size=100)


def test_yaw_changes_sign_when_the_photo_is_mirrored(
    analyzer: FaceAnalyzer, obama_photos: dict[str, Image.Image]
) -> None:
    turned = obama_photos["obama2"]  # the head is turned a little

    yaw = analyzer.analyze_reference(turned).quality.yaw_deg
    mirrored = analyzer.analyze_reference(turned.transpose(Image.Transpose.FLIP_LEFT_RIGHT)).quality.yaw_deg

    assert yaw is not None and mirrored is not None
    assert abs(yaw) > 10 and yaw * mirrored < 0
    assert abs(abs(yaw) - abs(mirrored)) < 8


def test_an_rgba_photo_is_analysed_like_its_rgb_version(
    analyzer: FaceAnalyzer, grace_hopper: Image.Image
) -> None:
    rgba = grace_hopper.convert("RGBA")

    assert analyzer.analyze_reference(rgba).quality.verdict == "ok"
