"""An optional faster backend: OpenCV's YuNet detector (MIT) and SFace recognizer (Apache-2.0).

Used only when both `yunet_model_path` and `sface_model_path` point at .onnx files the user
provides; nothing is downloaded. About 4.5x faster than dlib on CPU and separates identities more
widely. SFace compares by cosine similarity; to keep one `likeness_threshold` meaningful for
both backends, its distance is put on dlib's scale: `(1 - cosine) * 0.6 / (1 - 0.363)`, which maps
SFace's published same-person line (cosine 0.363) onto dlib's (distance 0.6).

Embeddings from this backend do not compare with dlib's: each embedding is stored with its
`embedding_model`, and references must be re-embedded (from their stored crops) after a switch.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tool_server.faces.detect import RGB, Detection, Face
from tool_server.faces.errors import FaceModelsMissing

SFACE_COSINE_SAME = 0.363  # OpenCV's published threshold for SFace
DLIB_DISTANCE_SAME = 0.6  # dlib's published threshold


def check_model_file(path: Path, setting: str) -> Path:
    if not path.is_file():
        raise FaceModelsMissing(
            f"The {setting} file {path} does not exist: point COACH_IMAGE_{setting.upper()} at the .onnx "
            "file, or unset it to use the built-in dlib models."
        )
    return path


class OpenCvBackend:
    name = "opencv"
    embedding_model = "opencv_sface"
    nose_depth = 0.55  # YuNet's nose point is the tip, further in front than dlib's nose base
    face_score_min = 0.7  # YuNet scores are probabilities
    confident_score = 0.85
    _candidate_score = 0.5

    def __init__(self, yunet_path: Path, sface_path: Path) -> None:
        self._yunet_path = check_model_file(yunet_path, "yunet_model_path")
        self._sface_path = check_model_file(sface_path, "sface_model_path")
        self._lock = threading.Lock()  # both OpenCV objects keep per-call state (input size, buffers)
        self._detector: Any = None
        self._recognizer: Any = None

    def _load(self) -> tuple[Any, Any]:
        import cv2

        if self._detector is None:
            self._detector = cv2.FaceDetectorYN.create(
                str(self._yunet_path), "", (320, 320), self._candidate_score, 0.3, 5000
            )
            self._recognizer = cv2.FaceRecognizerSF.create(str(self._sface_path), "")
        return self._detector, self._recognizer

    def warm_up(self) -> None:
        with self._lock:
            self._load()

    def detect(self, rgb: RGB, upsample: int) -> list[Detection]:
        # YuNet finds faces down to about 10 px, so `upsample` only matters for dlib.
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        height, width = bgr.shape[:2]
        with self._lock:
            detector, _ = self._load()
            detector.setInputSize((width, height))
            _, rows = detector.detect(bgr)
        if rows is None:
            return []
        detections = []
        for row in rows:
            x, y, w, h = (float(v) for v in row[:4])
            detections.append(
                Detection((x, y, x + w, y + h), float(row[14]), np.asarray(row[4:14], float).reshape(5, 2))
            )
        return detections

    def face(self, rgb: RGB, detection: Detection) -> Face:
        points = detection.points
        if points is None:
            raise ValueError("YuNet detections carry their landmarks")
        # YuNet's points: right eye, left eye (the subject's), nose tip, right and left mouth corners.
        return Face(
            rect=detection.rect,
            score=detection.score,
            points=points,
            eye_left=(float(points[0][0]), float(points[0][1])),
            eye_right=(float(points[1][0]), float(points[1][1])),
            nose=(float(points[2][0]), float(points[2][1])),
        )

    def embed(self, rgb: RGB, face: Face) -> NDArray[np.float64]:
        left, top, right, bottom = face.rect
        row = np.array(
            [left, top, right - left, bottom - top, *face.points.reshape(-1), face.score], dtype=np.float32
        )
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        with self._lock:
            _, recognizer = self._load()
            aligned = recognizer.alignCrop(bgr, row)
            feature = recognizer.feature(aligned)
        vector = np.asarray(feature, dtype=np.float64).reshape(-1)
        return vector / (np.linalg.norm(vector) or 1.0)

    def distance(self, a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
        cosine = float(np.dot(a, b) / ((np.linalg.norm(a) * np.linalg.norm(b)) or 1.0))
        return (1.0 - cosine) * DLIB_DISTANCE_SAME / (1.0 - SFACE_COSINE_SAME)
