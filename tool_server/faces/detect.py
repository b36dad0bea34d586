"""Finding faces: detect on a downscaled copy, map back to full size, retry sharper once if none.

Which detections count as faces: every backend returns candidates above its own default
threshold; a candidate counts as a face when its score reaches the backend's `face_score_min`
(dlib's HOG scores clear faces 1-2.5 and misfires on badges and patterns at 0-0.3), except that
the best candidate always counts, so a faint but real face (a stylised render) is still found.

The main face is the largest confident face (score >= the backend's `confident_score`); without
any, the largest face. Size alone is not enough: a misfire on the astronaut's mission patch is as
large as her face.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from tool_server.faces.records import FaceBox

DETECT_LONG_SIDE = 512  # the first pass runs on a copy this large, upsampled once
RETRY_MAX_LONG_SIDE = 2048  # the retry runs at full size, capped to bound its time
RETRY_UPSAMPLE_MAX = 1536  # and upsampled once for images up to this long side

RGB = NDArray[np.uint8]
Point = tuple[float, float]


@dataclass(frozen=True)
class Detection:
    """A detector's candidate in the pixels of the image it ran on: (left, top, right, bottom)."""

    rect: tuple[float, float, float, float]
    score: float
    points: NDArray[np.float64] | None = None  # landmarks when the detector gives them (YuNet)

    def scaled(self, factor: float) -> Detection:
        left, top, right, bottom = self.rect
        points = None if self.points is None else self.points * factor
        return Detection((left * factor, top * factor, right * factor, bottom * factor), self.score, points)


@dataclass(frozen=True)
class Face:
    """A face in full-image pixels, with its landmarks and the eye and nose points used for yaw."""

    rect: tuple[float, float, float, float]  # may reach outside the image for faces cut by the edge
    score: float
    points: NDArray[np.float64]  # the backend's own landmarks, for its embedding
    eye_left: Point  # the eye on the image's left (the subject's right eye)
    eye_right: Point
    nose: Point

    @property
    def width(self) -> float:
        return self.rect[2] - self.rect[0]

    @property
    def area(self) -> float:
        return self.width * (self.rect[3] - self.rect[1])

    def box(self, image_w: int, image_h: int) -> FaceBox:
        """The box clipped to the image, in whole pixels."""
        left, top = max(0, round(self.rect[0])), max(0, round(self.rect[1]))
        right, bottom = min(image_w, round(self.rect[2])), min(image_h, round(self.rect[3]))
        return FaceBox(
            x=left, y=top, width=max(0, right - left), height=max(0, bottom - top), score=round(self.score, 3)
        )


class FaceBackend(Protocol):
    """Detection, landmarks and embeddings from one family of models."""

    name: str
    embedding_model: str  # stored with each embedding: embeddings of different models don't compare
    nose_depth: float  # how far the nose point sits in front of the eyes, in eye distances (for yaw)
    face_score_min: float  # candidates below this are not counted as faces (except the best one)
    confident_score: float  # a clear face: preferred as the main face over larger doubtful ones

    def warm_up(self) -> None:
        """Load the models now (otherwise they load on first use)."""
        ...

    def detect(self, rgb: RGB, upsample: int) -> list[Detection]: ...

    def face(self, rgb: RGB, detection: Detection) -> Face:
        """Complete a full-size detection with landmarks."""
        ...

    def embed(self, rgb: RGB, face: Face) -> NDArray[np.float64]: ...

    def distance(self, a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
        """Distance on dlib's scale: same person below about 0.5, different above about 0.65."""
        ...


def _resized(rgb: RGB, scale: float) -> RGB:
    from PIL import Image

    height, width = rgb.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))


def _detect_at(backend: FaceBackend, rgb: RGB, scale: float, upsample: int) -> list[Detection]:
    small = rgb if scale >= 1.0 else _resized(rgb, scale)
    # Map back with the real ratio of sizes, not `scale`: the resize rounds.
    factor = rgb.shape[1] / small.shape[1]
    return [d.scaled(factor) for d in backend.detect(small, upsample)]


def find_faces(backend: FaceBackend, rgb: RGB, *, retry: bool = True) -> list[Face]:
    """All faces in an RGB array, main face first (see the module docstring for the rules)."""
    long_side = max(rgb.shape[:2])
    scale = min(1.0, DETECT_LONG_SIDE / long_side)
    candidates = _detect_at(backend, rgb, scale, upsample=1)
    if not candidates and retry:
        # Small faces in big scenes: look again at full size. dlib's HOG window is 80 px, so this
        # finds faces down to 20-40 px in images up to 1536 px (0.3-0.5 s on 2 cores); larger
        # images are searched at 2048 px without upsampling (0.25 s), down to 80 px at that scale.
        retry_scale = min(1.0, RETRY_MAX_LONG_SIDE / long_side)
        upsample = 2 if long_side <= DETECT_LONG_SIDE else 1 if long_side <= RETRY_UPSAMPLE_MAX else 0
        candidates = _detect_at(backend, rgb, retry_scale, upsample=upsample)
    if not candidates:
        return []
    best = max(candidates, key=lambda d: d.score)
    kept = [d for d in candidates if d.score >= backend.face_score_min or d is best]
    faces = [backend.face(rgb, d) for d in kept]
    return sorted(faces, key=lambda f: (f.score >= backend.confident_score, f.area), reverse=True)
