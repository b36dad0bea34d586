"""The ingest seam filled by face analysis: quality verdict, face crop and embedding of a new photo."""

from __future__ import annotations

from PIL import Image

from tool_server.faces import CropSpec, FaceAnalyzer
from tool_server.imaging.decode import encode_jpeg
from tool_server.userdata.photos import FaceFindings, FaceInspector


def face_inspector(analyzer: FaceAnalyzer) -> FaceInspector:
    def inspect(image: Image.Image, crop: dict[str, int] | None) -> FaceFindings:
        analysis = analyzer.analyze_reference(image, CropSpec(**crop) if crop else None)
        quality = analysis.quality.model_dump(mode="json")
        box = analysis.quality.face_box
        return FaceFindings(
            quality=quality,
            verdict=analysis.quality.verdict,
            face_box=None
            if box is None
            else {"x": box.x, "y": box.y, "width": box.width, "height": box.height},
            face_crop_jpeg=encode_jpeg(analysis.face_crop) if analysis.face_crop is not None else None,
            embedding=analysis.embedding,
        )

    return inspect
