"""The offline stand-in person is never the tests' or the demo's user, by the product's own distance."""

from __future__ import annotations

import io
from importlib import resources

import pytest
from PIL import Image

from tests.photo_files import portrait
from tests.photos import grace_hopper
from tool_server.faces import FaceAnalyzer, FaceConfig
from tool_server.providers.offline_render import generic_person


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(FaceConfig())


def the_generic_person() -> Image.Image:
    return Image.open(io.BytesIO(generic_person())).convert("RGB")


def demo_portrait() -> Image.Image:
    data = resources.files("tool_server.assets").joinpath("demo_portrait.jpg").read_bytes()
    return Image.open(io.BytesIO(data)).convert("RGB")


@pytest.mark.parametrize(
    "user", [portrait, grace_hopper, demo_portrait], ids=["tests-portrait", "grace_hopper", "demo"]
)
def test_the_users_face_is_not_the_generic_persons_by_the_likeness_distance(
    analyzer: FaceAnalyzer, user: object
) -> None:
    user_photo = user()  # type: ignore[operator]
    reference = analyzer.embedding_of(user_photo)
    assert reference is not None
    likeness = analyzer.likeness(the_generic_person(), [reference])
    assert likeness.face_found
    # Another person by a wide margin: a generic_swap onto the stand-in really moves a face.
    assert likeness.distance is not None and likeness.distance > FaceConfig().likeness_threshold + 0.1
    assert not likeness.passed


def test_the_demo_portrait_passes_the_quality_gate_without_a_warning(analyzer: FaceAnalyzer) -> None:
    quality = analyzer.analyze_reference(demo_portrait()).quality
    assert quality.verdict == "ok", quality.reasons
