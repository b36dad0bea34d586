"""Shared fixtures: one analyzer per test session (models load once), photos and their embeddings."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import Image

from tests import photos
from tool_server.faces import FaceAnalyzer, FaceConfig

Embedding = list[float]


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    face_analyzer = FaceAnalyzer(FaceConfig())
    face_analyzer.warm_up()
    return face_analyzer


@pytest.fixture(scope="session")
def embed(analyzer: FaceAnalyzer) -> Callable[[Image.Image], Embedding]:
    """The embedding of a photo's main face; fails the test if no face is found."""

    def _embed(image: Image.Image) -> Embedding:
        embedding = analyzer.embedding_of(image)
        assert embedding is not None, "expected a face in the test photo"
        return embedding

    return _embed


@pytest.fixture(scope="session")
def astronaut() -> Image.Image:
    return photos.astronaut()


@pytest.fixture(scope="session")
def grace_hopper() -> Image.Image:
    return photos.grace_hopper()


@pytest.fixture(scope="session")
def obama_photos() -> dict[str, Image.Image]:
    """obama, obama2, obama3 and biden from the face_recognition sdist (skips if it can't be fetched)."""
    return {
        "obama": photos.obama(),
        "obama2": photos.obama2(),
        "obama3": photos.obama3(),
        "biden": photos.biden(),
    }


@pytest.fixture(scope="session")
def obama_embeddings(
    obama_photos: dict[str, Image.Image], embed: Callable[[Image.Image], Embedding]
) -> dict[str, Embedding]:
    return {name: embed(image) for name, image in obama_photos.items()}
