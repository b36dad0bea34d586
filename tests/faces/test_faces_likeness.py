"""Likeness on real photos: the same person stays under the threshold, different people above."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable

import pytest
from PIL import Image, ImageEnhance

from tests import photos
from tool_server.errors import InvalidInput, PreconditionMissing
from tool_server.faces import FaceAnalyzer, Likeness, aggregate_distance, score_from_distance

Embed = Callable[[Image.Image], list[float]]


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    return Image.open(io.BytesIO(photos.encoded(image, "JPEG", quality=quality)))


SAME_PERSON_EDITS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "crop": lambda im: im.crop((im.width // 8, im.height // 10, im.width * 7 // 8, im.height * 9 // 10)),
    "flip": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "brighter": lambda im: ImageEnhance.Brightness(im).enhance(1.4),
    "darker": lambda im: ImageEnhance.Brightness(im).enhance(0.6),
    "jpeg_q30": lambda im: _jpeg(im, 30),
    "rotated_8deg": lambda im: im.rotate(8, resample=Image.Resampling.BICUBIC),
    "upscaled_2x": lambda im: im.resize((im.width * 2, im.height * 2), Image.Resampling.LANCZOS),
}


@pytest.mark.parametrize("edit", SAME_PERSON_EDITS)
def test_an_edited_copy_of_the_astronaut_passes_against_the_original(
    analyzer: FaceAnalyzer, embed: Embed, astronaut: Image.Image, edit: str
) -> None:
    result = analyzer.likeness(SAME_PERSON_EDITS[edit](astronaut), [embed(astronaut)])

    assert result.face_found and result.passed
    assert result.distance is not None and result.distance < 0.3
    assert result.score > 0.9


def test_photos_of_obama_are_under_the_threshold_among_themselves(
    analyzer: FaceAnalyzer, obama_embeddings: dict[str, list[float]]
) -> None:
    for a, b in itertools.combinations(["obama", "obama2", "obama3"], 2):
        distance = aggregate_distance([_distance(obama_embeddings[a], obama_embeddings[b])])
        assert distance < analyzer.threshold - 0.05, (a, b, distance)


def test_obama_and_biden_are_above_the_threshold(
    analyzer: FaceAnalyzer, obama_photos: dict[str, Image.Image], obama_embeddings: dict[str, list[float]]
) -> None:
    references = [obama_embeddings["obama"], obama_embeddings["obama2"]]

    same = analyzer.likeness(obama_photos["obama3"], references)
    other = analyzer.likeness(obama_photos["biden"], references)

    assert same.passed and same.score > 0.7
    assert not other.passed and other.score < 0.2
    assert other.distance is not None and other.distance > analyzer.threshold + 0.15


def test_the_astronaut_and_grace_hopper_are_different_people(
    analyzer: FaceAnalyzer, embed: Embed, astronaut: Image.Image, grace_hopper: Image.Image
) -> None:
    result = analyzer.likeness(grace_hopper, [embed(astronaut)])

    assert result.face_found and not result.passed
    assert result.distance is not None and result.distance > 0.6


@pytest.mark.parametrize("image", [photos.gradient(), photos.dog_drawing()], ids=["gradient", "dog_drawing"])
def test_an_image_without_a_face_gives_face_found_false_and_no_error(
    analyzer: FaceAnalyzer, embed: Embed, astronaut: Image.Image, image: Image.Image
) -> None:
    result = analyzer.likeness(image, [embed(astronaut)])

    assert result == Likeness(
        face_found=False,
        distance=None,
        score=0.0,
        threshold=0.5,
        passed=False,
        face_box=None,
        faces_in_image=0,
    )


def test_the_main_face_of_a_group_is_the_largest(
    analyzer: FaceAnalyzer, embed: Embed, grace_hopper: Image.Image
) -> None:
    result = analyzer.likeness(photos.portrait_with_background_face(), [embed(grace_hopper)])

    assert result.passed and result.faces_in_image == 2
    assert result.face_box is not None and result.face_box.width > 250


def test_the_main_face_box_skips_a_misfire_as_large_as_the_face(
    analyzer: FaceAnalyzer, astronaut: Image.Image
) -> None:
    box = analyzer.main_face_box(astronaut)  # dlib also fires weakly on her mission patch, lower down

    assert box is not None and box.y < 150 and box.score > 1.0
    assert analyzer.main_face_box(photos.gradient(256, 256)) is None


def test_likeness_without_references_asks_for_a_reference_photo(
    analyzer: FaceAnalyzer, astronaut: Image.Image
) -> None:
    with pytest.raises(PreconditionMissing, match="add_reference_photo"):
        analyzer.likeness(astronaut, [])


def test_a_malformed_reference_embedding_is_invalid_input(
    analyzer: FaceAnalyzer, astronaut: Image.Image
) -> None:
    with pytest.raises(InvalidInput, match="Reference embedding 0"):
        analyzer.likeness(astronaut, [[0.1] * 5])


def test_the_score_is_one_at_zero_one_half_at_the_threshold_and_near_zero_at_twice_it() -> None:
    assert score_from_distance(0.0, 0.5) == 1.0
    assert score_from_distance(0.5, 0.5) == pytest.approx(0.5)
    assert score_from_distance(1.0, 0.5) < 0.04
    distances = [i / 100 for i in range(0, 150)]
    scores = [score_from_distance(d, 0.5) for d in distances]
    assert all(a > b for a, b in itertools.pairwise(scores))


def test_one_lucky_reference_does_not_decide_alone() -> None:
    assert aggregate_distance([0.2, 0.8, 0.85]) == pytest.approx(0.5)
    assert aggregate_distance([0.3, 0.35, 0.9]) == pytest.approx(0.325)  # one odd reference is tolerated
    assert aggregate_distance([0.42]) == pytest.approx(0.42)


def _distance(a: list[float], b: list[float]) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5


def test_the_odd_one_out_of_a_reference_set_is_the_other_person(
    analyzer: FaceAnalyzer, obama_embeddings: dict[str, list[float]]
) -> None:
    names = ["obama", "obama2", "biden", "obama3"]
    odd = analyzer.odd_references([obama_embeddings[n] for n in names])
    pair = analyzer.odd_references([obama_embeddings["obama"], obama_embeddings["biden"]])
    same = analyzer.odd_references([obama_embeddings[n] for n in ("obama", "obama2", "obama3")])
    assert [names[i] for i in odd] == ["biden"]
    assert pair == [0, 1]  # two people: nobody can tell which one is the user
    assert same == []
    assert analyzer.distance_to(obama_embeddings["biden"], [obama_embeddings["obama"]]) > 0.5
