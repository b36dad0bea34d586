"""Likeness: how close the main face of an image is to the user's reference faces.

Main face: the largest confidently detected face (see `detect.py`); a generated scene may have
other people in the background, and the user is the subject.

Aggregation over references: the mean of the two smallest distances (the one distance when there
is a single reference). The minimum alone rewards one lucky match: a soft or odd reference photo
sits closer to many faces, and with five references the chance that one of them is near a
stranger grows. The mean over all references punishes the opposite way: one reference with
glasses, a beard or ten years less pulls every score down. Requiring the face to be close to two
references at once resists one lucky reference and tolerates one odd one.

Score: `1 / (1 + (distance / threshold) ** 5)`, a smooth, strictly decreasing map: 1 at distance 0,
0.5 exactly at the threshold, 0.03 at twice the threshold. With dlib distances (same person
0.3-0.45, different people 0.65-0.95) and the default threshold 0.5, the same person scores
0.63-0.94 and different people 0.03-0.21. `passed` is `distance <= threshold`, the same line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from tool_server.errors import InvalidInput, PreconditionMissing
from tool_server.faces.records import FaceBox, Likeness

SCORE_STEEPNESS = 5
NEAREST_K = 2
EMBEDDING_DIM = 128

Vector = NDArray[np.float64]


def score_from_distance(distance: float, threshold: float) -> float:
    """Map a face distance to 0..1: 1 at 0, 0.5 at `threshold`, about 0.03 at twice the threshold."""
    if distance <= 0:
        return 1.0
    return 1.0 / (1.0 + (distance / threshold) ** SCORE_STEEPNESS)


def aggregate_distance(distances: Sequence[float]) -> float:
    """The mean of the two smallest distances (or the only one)."""
    if not distances:
        raise ValueError("no distances to aggregate")
    nearest = sorted(distances)[:NEAREST_K]
    return float(sum(nearest) / len(nearest))


def reference_vectors(references: Sequence[Sequence[float]]) -> list[Vector]:
    """Check stored reference embeddings and turn them into vectors."""
    if not references:
        raise PreconditionMissing(
            "No reference face to compare with: "
            "ask the user to upload a reference photo with add_reference_photo."
        )
    vectors = []
    for index, reference in enumerate(references):
        vector = np.asarray(reference, dtype=np.float64)
        if vector.shape != (EMBEDDING_DIM,) or not np.all(np.isfinite(vector)):
            raise InvalidInput(
                f"Reference embedding {index} is not {EMBEDDING_DIM} finite numbers: "
                "re-analyse that reference photo."
            )
        vectors.append(vector)
    return vectors


def measure(
    embedding: Vector | None,
    references: Sequence[Vector],
    distance: Callable[[Vector, Vector], float],
    threshold: float,
    face_box: FaceBox | None,
    faces_in_image: int,
) -> Likeness:
    """The likeness record of one image's main face (or of no face when `embedding` is None)."""
    if embedding is None:
        return Likeness(
            face_found=False, distance=None, score=0.0, threshold=threshold, passed=False, faces_in_image=0
        )
    value = aggregate_distance([distance(embedding, ref) for ref in references])
    return Likeness(
        face_found=True,
        distance=round(value, 4),
        score=round(score_from_distance(value, threshold), 4),
        threshold=threshold,
        passed=value <= threshold,
        face_box=face_box,
        faces_in_image=faces_in_image,
    )


def odd_ones_out(
    vectors: Sequence[Vector], distance: Callable[[Vector, Vector], float], threshold: float
) -> list[int]:
    """Indices of references that look like someone else: farther than `threshold` from more than
    half of the others. Two photos of two people are both odd (nobody can tell which is the user);
    in three photos of one person and one of another, only the fourth is."""
    odd = []
    for i, vector in enumerate(vectors):
        others = [distance(vector, other) for j, other in enumerate(vectors) if j != i]
        if others and sum(d > threshold for d in others) * 2 > len(others):
            odd.append(i)
    return odd
