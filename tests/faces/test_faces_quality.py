"""The quality rules on synthetic faces: yaw, sizes, verdict order."""

from __future__ import annotations

import numpy as np
import pytest

from tool_server.faces.detect import Face
from tool_server.faces.quality import assess, yaw_degrees

NOSE_DEPTH = 0.41


def _face(x: float, y: float, width: float, nose_shift: float = 0.0, score: float = 1.5) -> Face:
    """A face box at (x, y) with eyes 0.4 widths apart and the nose shifted by `nose_shift` eye distances."""
    eye_y, eye_gap = y + width * 0.4, width * 0.4
    centre = x + width / 2
    return Face(
        rect=(x, y, x + width, y + width),
        score=score,
        points=np.zeros((5, 2)),
        eye_left=(centre - eye_gap / 2, eye_y),
        eye_right=(centre + eye_gap / 2, eye_y),
        nose=(centre + nose_shift * eye_gap, y + width * 0.7),
    )


def _textured(width: int = 800, height: int = 800) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(60, 200, size=(height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize(("shift", "expected"), [(0.0, 0.0), (NOSE_DEPTH, 45.0), (-NOSE_DEPTH, -45.0)])
def test_yaw_follows_the_nose_offset(shift: float, expected: float) -> None:
    assert yaw_degrees(_face(100, 100, 200, shift), NOSE_DEPTH) == pytest.approx(expected)


def test_a_strongly_turned_head_warns_to_face_the_camera() -> None:
    report = assess(_textured(), [_face(200, 200, 300, nose_shift=0.3)], NOSE_DEPTH)

    assert report.verdict == "warn"
    assert report.reasons == ["The head is turned (about 36°): face the camera"]


def test_a_face_cut_by_the_edge_warns() -> None:
    report = assess(_textured(), [_face(-40, 200, 300)], NOSE_DEPTH)

    assert "The face is cut by the edge of the photo: show the whole face" in report.reasons


def test_reject_reasons_come_before_warnings() -> None:
    faces = [_face(100, 100, 100, nose_shift=0.4), _face(400, 100, 90)]

    report = assess(_textured(), faces, NOSE_DEPTH)

    assert report.verdict == "reject"
    assert report.reasons[:2] == [
        "Several faces of similar size: upload a photo of only you",
        "The face is small (100 px, at least 120 needed): move closer or use a sharper, larger photo",
    ]
    assert report.reasons[2].startswith("The head is turned")


def test_the_minimum_face_size_can_be_lowered() -> None:
    report = assess(_textured(), [_face(100, 100, 100)], NOSE_DEPTH, min_face_px=80)

    assert report.verdict == "ok"
