"""What the face analysis returns: pydantic models that go into JSON, plus the reference bundle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, computed_field

Verdict = Literal["ok", "warn", "reject"]


class FaceBox(BaseModel):
    """A face's box in pixels of the full image (the detector's box: brows to chin, about 80% of the head)."""

    model_config = ConfigDict(frozen=True)

    x: int
    y: int
    width: int
    height: int
    score: float = Field(description="Detector confidence; above about 0.5 is a clear face.")


class CropSpec(BaseModel):
    """An explicit square crop of the upright photo, in pixels (the user's crop UI)."""

    model_config = ConfigDict(frozen=True)

    x: int = Field(ge=0, description="Left edge in pixels.")
    y: int = Field(ge=0, description="Top edge in pixels.")
    size: int = Field(ge=1, description="Side of the square in pixels.")


class QualityReport(BaseModel):
    """The quality gate's findings on a reference photo, with reasons a coach can pass on."""

    verdict: Verdict
    reasons: list[str] = Field(default_factory=list, description="What to fix, in plain words.")
    face_count: int
    face_box: FaceBox | None = None
    face_px: int | None = Field(None, description="Width of the face box in pixels.")
    face_share: float | None = Field(None, description="Face width as a share of the photo's short side.")
    blur: float | None = Field(None, description="Laplacian variance of the face at 256 px; < 50 is soft.")
    yaw_deg: float | None = Field(None, description="Approximate head turn; + is toward the image's right.")
    brightness: float | None = Field(None, description="Mean luminance of the face, 0..1.")
    clipped_share: float | None = Field(None, description="Share of face pixels clipped to black or white.")


def verdict_text(distance: float | None, threshold: float | None, face_found: bool = True) -> str:
    """The likeness in words a coach can repeat: `0.41, passes at 0.50` / `0.62, fails: passes at 0.50`."""
    if not face_found or distance is None:
        return "no face found"
    if threshold is None:
        return f"{distance:.2f}"
    if distance <= threshold:
        return f"{distance:.2f}, passes at {threshold:.2f}"
    return f"{distance:.2f}, fails: passes at {threshold:.2f}"


def verdict_of(likeness: dict[str, Any]) -> str:
    """`verdict_text` of a likeness dict."""
    return verdict_text(likeness.get("distance"), likeness.get("threshold"), likeness.get("face_found", True))


def with_verdict(likeness: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored likeness dict with its `verdict` (records written before it existed lack one)."""
    if not likeness:
        return likeness
    return {**likeness, "verdict": verdict_of(likeness)}


class Likeness(BaseModel):
    """How close the main face of an image is to the user's reference faces."""

    face_found: bool
    distance: float | None = Field(None, description="Face distance to the references; lower is closer.")
    score: float = Field(ge=0.0, le=1.0, description="1 at distance 0, 0.5 at the threshold, ~0 at twice it.")
    threshold: float
    passed: bool
    face_box: FaceBox | None = None
    faces_in_image: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> str:
        """The distance against the threshold in words, e.g. `0.41, passes at 0.50`."""
        return verdict_text(self.distance, self.threshold, self.face_found)


class CropBox(BaseModel):
    """The square crop used for the stored face crop, in pixels of the photo."""

    model_config = ConfigDict(frozen=True)

    x: int
    y: int
    size: int
    explicit: bool = Field(False, description="True when the user chose the crop.")


class ReferenceSummary(BaseModel):
    """The JSON part of a reference analysis: what is stored with the photo."""

    quality: QualityReport
    crop_box: CropBox | None
    embedding: list[float] | None = Field(None, description="128-d face embedding; None if no usable face.")
    embedding_model: str


@dataclass(frozen=True)
class ReferenceAnalysis:
    """A reference photo's analysis: the JSON summary and the square face crop image."""

    summary: ReferenceSummary
    face_crop: Image.Image | None

    @property
    def quality(self) -> QualityReport:
        return self.summary.quality

    @property
    def crop_box(self) -> CropBox | None:
        return self.summary.crop_box

    @property
    def embedding(self) -> list[float] | None:
        return self.summary.embedding
