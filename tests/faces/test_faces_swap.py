"""The classical offline swap: the result looks like the source face, and faceless images are refused."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image

from tests import photos
from tool_server.errors import InvalidInput
from tool_server.faces import FaceAnalyzer, FaceNotFound

Embed = Callable[[Image.Image], list[float]]


@pytest.fixture(scope="module")
def swap_ready(analyzer: FaceAnalyzer) -> FaceAnalyzer:
    analyzer.warm_up(swap=True)
    return analyzer


def test_a_swapped_face_passes_likeness_to_the_source(
    swap_ready: FaceAnalyzer, embed: Embed, grace_hopper: Image.Image, astronaut: Image.Image
) -> None:
    source_crop = swap_ready.analyze_reference(grace_hopper).face_crop
    assert source_crop is not None
    source = embed(grace_hopper)
    before = swap_ready.likeness(astronaut, [source])

    swapped = swap_ready.swap(source_crop, astronaut)
    after = swap_ready.likeness(swapped, [source])

    assert swapped.size == astronaut.size
    assert before.distance is not None and after.distance is not None
    assert after.passed, after  # measured 0.41 (the target was 0.69 away)
    assert after.distance < before.distance - 0.15


def test_swap_bytes_puts_obama_on_biden_as_png(
    swap_ready: FaceAnalyzer, obama_photos: dict[str, Image.Image], obama_embeddings: dict[str, list[float]]
) -> None:
    source_crop = swap_ready.analyze_reference(obama_photos["obama"]).face_crop
    assert source_crop is not None

    png = swap_ready.swap_bytes(photos.encoded(source_crop), photos.encoded(obama_photos["biden"], "JPEG"))

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    result = swap_ready.likeness(Image.open(io.BytesIO(png)), [obama_embeddings["obama"]])
    assert result.passed, result  # measured 0.42 (biden was 0.84 away)


def test_a_target_without_a_face_raises_face_not_found(
    swap_ready: FaceAnalyzer, grace_hopper: Image.Image
) -> None:
    with pytest.raises(FaceNotFound, match="No face found in the target image"):
        swap_ready.swap(grace_hopper, photos.gradient(512, 512))


def test_a_source_without_a_face_raises_face_not_found(
    swap_ready: FaceAnalyzer, grace_hopper: Image.Image
) -> None:
    with pytest.raises(FaceNotFound, match="No face found in the source image"):
        swap_ready.swap_bytes(photos.encoded(photos.dog_drawing(400)), photos.encoded(grace_hopper))


def test_face_not_found_is_invalid_input() -> None:
    assert issubclass(FaceNotFound, InvalidInput)


def test_undecodable_bytes_are_invalid_input(swap_ready: FaceAnalyzer, grace_hopper: Image.Image) -> None:
    with pytest.raises(InvalidInput, match="The target image could not be read"):
        swap_ready.swap_bytes(photos.encoded(grace_hopper), b"not an image")
