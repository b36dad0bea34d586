"""The face analysis facade: reference photos at ingest, likeness of generated images, offline swap.

All methods are synchronous and CPU-bound: call them from a worker thread
(`anyio.to_thread.run_sync`). Models load on first use, once per process; one analyzer can be
shared by all threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PIL import Image

from tool_server.errors import ConfigError
from tool_server.faces.records import CropSpec, FaceBox, Likeness, ReferenceAnalysis, ReferenceSummary

if TYPE_CHECKING:
    from tool_server.faces.detect import FaceBackend

# numpy, dlib and the helpers below are imported where they are used: the server imports this
# module at start and must answer tools/list fast (numpy alone is about 0.2 s).


class FaceSettings(Protocol):
    """The settings the analyzer reads; `tool_server.settings.Settings` has them all."""

    @property
    def face_crop_margin(self) -> float: ...
    @property
    def face_crop_size_px(self) -> int: ...
    @property
    def likeness_threshold(self) -> float: ...
    @property
    def yunet_model_path(self) -> Path | None: ...
    @property
    def sface_model_path(self) -> Path | None: ...


@dataclass(frozen=True)
class FaceConfig:
    """Stand-alone face settings, with the same defaults as `Settings` (for scripts and tests)."""

    face_crop_margin: float = 0.6
    face_crop_size_px: int = 512
    likeness_threshold: float = 0.5
    yunet_model_path: Path | None = None
    sface_model_path: Path | None = None


def make_backend(settings: FaceSettings) -> FaceBackend:
    """dlib by default; YuNet + SFace when both model paths are set (and exist)."""
    yunet, sface = settings.yunet_model_path, settings.sface_model_path
    if yunet is None and sface is None:
        from tool_server.faces.backend_dlib import DlibBackend

        return DlibBackend()
    if yunet is None or sface is None:
        raise ConfigError(
            "Only one of COACH_IMAGE_YUNET_MODEL_PATH and COACH_IMAGE_SFACE_MODEL_PATH is set: "
            "set both to use OpenCV's faster face models, or neither to use the built-in dlib models."
        )
    from tool_server.faces.backend_opencv import OpenCvBackend

    return OpenCvBackend(yunet, sface)


class FaceAnalyzer:
    """Face detection, quality gate, face crops, embeddings, likeness and the offline swap."""

    def __init__(self, settings: FaceSettings | None = None, *, min_face_px: int | None = None) -> None:
        settings = settings or FaceConfig()
        # The same settings as a small value, to rebuild this analyzer in a worker process.
        self.config = FaceConfig(
            face_crop_margin=settings.face_crop_margin,
            face_crop_size_px=settings.face_crop_size_px,
            likeness_threshold=settings.likeness_threshold,
            yunet_model_path=settings.yunet_model_path,
            sface_model_path=settings.sface_model_path,
        )
        self.crop_margin = settings.face_crop_margin
        self.crop_size_px = settings.face_crop_size_px
        self.threshold = settings.likeness_threshold
        self.min_face_px = min_face_px  # None: quality.MIN_FACE_PX
        # The OpenCV models are opt-in: build them now so a bad path fails at start. The default
        # dlib backend is built on first use (its import pulls in numpy and dlib).
        default = settings.yunet_model_path is None and settings.sface_model_path is None
        self._backend: FaceBackend | None = None if default else make_backend(settings)

    @property
    def backend(self) -> FaceBackend:
        if self._backend is None:
            self._backend = make_backend(self.config)
        return self._backend

    @property
    def embedding_model(self) -> str:
        """The name stored with each embedding; embeddings of different models don't compare."""
        return self.backend.embedding_model

    def analyze_reference(self, image: Image.Image, crop: CropSpec | None = None) -> ReferenceAnalysis:
        """Quality report, square face crop, crop box and embedding of an upright reference photo.

        With `crop`, only that square of the photo is analysed (the user framed their face in it);
        `InvalidInput` if it reaches outside the photo. The embedding is None when the verdict is
        reject: such a photo must not become a likeness reference.
        """
        import numpy as np

        from tool_server.faces import crop as cropping
        from tool_server.faces import quality
        from tool_server.faces.detect import find_faces
        from tool_server.faces.pixels import to_rgb

        full = to_rgb(image)
        height, width = full.shape[:2]
        rgb, box = full, None
        if crop is not None:
            box = cropping.check_crop(crop, width, height)
            rgb = np.ascontiguousarray(full[box.y : box.y + box.size, box.x : box.x + box.size])
        faces = find_faces(self.backend, rgb)
        min_face_px = quality.MIN_FACE_PX if self.min_face_px is None else self.min_face_px
        report = quality.assess(rgb, faces, self.backend.nose_depth, min_face_px=min_face_px)
        embedding = None
        if faces and report.verdict != "reject":
            embedding = [round(float(v), 6) for v in self.backend.embed(rgb, faces[0])]
        if box is not None:
            report = report.model_copy(update={"face_box": _shifted(report.face_box, box.x, box.y)})
        elif faces:
            box = cropping.auto_crop_box(faces[0], width, height, self.crop_margin)
        face_crop = (
            None if box is None else cropping.crop_image(Image.fromarray(full), box, self.crop_size_px)
        )
        summary = ReferenceSummary(
            quality=report, crop_box=box, embedding=embedding, embedding_model=self.embedding_model
        )
        return ReferenceAnalysis(summary=summary, face_crop=face_crop)

    def embedding_of(self, image: Image.Image) -> list[float] | None:
        """The embedding of the image's main face, or None without a face."""
        from tool_server.faces.detect import find_faces
        from tool_server.faces.pixels import to_rgb

        rgb = to_rgb(image)
        faces = find_faces(self.backend, rgb)
        if not faces:
            return None
        return [float(v) for v in self.backend.embed(rgb, faces[0])]

    def main_face_box(self, image: Image.Image) -> FaceBox | None:
        """The box of the image's main face (the largest confident one), or None."""
        from tool_server.faces.detect import find_faces
        from tool_server.faces.pixels import to_rgb

        rgb = to_rgb(image)
        faces = find_faces(self.backend, rgb)
        return faces[0].box(rgb.shape[1], rgb.shape[0]) if faces else None

    def likeness(self, image: Image.Image, references: Sequence[Sequence[float]]) -> Likeness:
        """How close the image's main face is to the reference embeddings (see `likeness.py`).

        An image without a face gives `face_found=False, passed=False`, never an exception; an
        empty reference list raises `PreconditionMissing`.
        """
        from tool_server.faces import likeness as likeness_
        from tool_server.faces.detect import find_faces
        from tool_server.faces.pixels import to_rgb

        vectors = likeness_.reference_vectors(references)
        rgb = to_rgb(image)
        faces = find_faces(self.backend, rgb)
        if not faces:
            return likeness_.measure(None, vectors, self.backend.distance, self.threshold, None, 0)
        height, width = rgb.shape[:2]
        embedding = self.backend.embed(rgb, faces[0])
        return likeness_.measure(
            embedding, vectors, self.backend.distance, self.threshold, faces[0].box(width, height), len(faces)
        )

    def distance_to(self, embedding: Sequence[float], references: Sequence[Sequence[float]]) -> float:
        """How far one face is from a set of reference faces, aggregated as `likeness` does."""
        import numpy as np

        from tool_server.faces import likeness as likeness_

        vector = np.asarray(embedding, dtype=np.float64)
        vectors = likeness_.reference_vectors(references)
        return likeness_.aggregate_distance([self.backend.distance(vector, ref) for ref in vectors])

    def odd_references(self, embeddings: Sequence[Sequence[float]]) -> list[int]:
        """Indices of reference faces that look like another person than the rest (see `likeness.py`)."""
        from tool_server.faces import likeness as likeness_

        if len(embeddings) < 2:
            return []
        vectors = likeness_.reference_vectors(embeddings)
        return likeness_.odd_ones_out(vectors, self.backend.distance, self.threshold)

    def swap(self, source: Image.Image, target: Image.Image) -> Image.Image:
        """The target image with its main face replaced by the source's (offline fallback; see `swap.py`).

        Raises `FaceNotFound` when either image has no face.
        """
        from tool_server.faces.pixels import to_rgb
        from tool_server.faces.swap import swap_faces

        return Image.fromarray(swap_faces(to_rgb(source), to_rgb(target)))

    def swap_bytes(self, source: bytes, target: bytes) -> bytes:
        """`swap` on encoded images (source face image, target image); returns PNG bytes."""
        from tool_server.faces.pixels import decode, encode_png, to_rgb
        from tool_server.faces.swap import swap_faces

        result = swap_faces(to_rgb(decode(source, "source")), to_rgb(decode(target, "target")))
        return encode_png(result)

    def warm_up(self, *, swap: bool = False) -> None:
        """Load the models now rather than on first use (the 68-point model only with `swap`)."""
        from tool_server.faces import models
        from tool_server.faces.backend_dlib import DlibBackend

        self.backend.warm_up()
        if swap:
            DlibBackend().warm_up()
            with models.shape_68.use():
                pass


def _shifted(box: FaceBox | None, dx: int, dy: int) -> FaceBox | None:
    if box is None:
        return None
    return box.model_copy(update={"x": box.x + dx, "y": box.y + dy})
