"""Local face analysis: detection, quality gate, face crops, likeness scores and the offline swap.

Importing this package is cheap: dlib and OpenCV load on first use, in the calling thread.

    analyzer = FaceAnalyzer(settings)
    ref = analyzer.analyze_reference(photo)            # at ingest: quality, crop, embedding
    analyzer.likeness(generated, [ref.embedding, ...])  # for each generated image
    analyzer.swap_bytes(face_png, target_png)           # offline fallback (non-commercial model)
"""

from tool_server.faces.analyzer import FaceAnalyzer, FaceConfig, FaceSettings
from tool_server.faces.errors import FaceModelsMissing, FaceNotFound
from tool_server.faces.records import (
    CropBox,
    CropSpec,
    FaceBox,
    Likeness,
    QualityReport,
    ReferenceAnalysis,
    ReferenceSummary,
    Verdict,
)

__all__ = [
    "CropBox",
    "CropSpec",
    "FaceAnalyzer",
    "FaceBox",
    "FaceConfig",
    "FaceModelsMissing",
    "FaceNotFound",
    "FaceSettings",
    "Likeness",
    "QualityReport",
    "ReferenceAnalysis",
    "ReferenceSummary",
    "Verdict",
    "aggregate_distance",
    "score_from_distance",
]


def __getattr__(name: str) -> object:
    # The likeness helpers need numpy: imported on first use, not when the server starts.
    if name in ("aggregate_distance", "score_from_distance"):
        from tool_server.faces import likeness

        return getattr(likeness, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
