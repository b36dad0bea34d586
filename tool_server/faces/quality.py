"""The quality gate for reference photos: measurements, then a verdict with reasons in plain words.

Rules (each measured on the main face):
- reject: no face; another face at least `SIMILAR_SIZE` of the main face's width (a group photo:
  whose face is it?); a face narrower than `MIN_FACE_PX` (too few pixels to keep a likeness).
- warn: smaller faces in the background; a face cut by the photo's edge; blur (variance of the
  Laplacian on the face resized to 256 px) under `BLUR_WARN`; a head turned more than `YAW_WARN_DEG`;
  a dark face, or an overexposed one.

Blur is measured on a normalised face crop: resized to 256 px (so the score does not depend on
the photo's resolution; a tiny face blown up to 256 px reads as soft, as it will be for the
provider) and scaled to a fixed contrast (so a dark or flat photo does not read as blurry).
Measured: sharp portraits 140-460; Gaussian blur sigma 0.7 -> 76, sigma 1 -> 40-45,
sigma 2 -> 7-10; the astronaut's 91 px face 19.
Yaw comes from the 5 landmarks: how far the nose sits from the middle of the eyes, along the eye
line, as a share of the eye distance, turned into degrees with a generic face's nose depth. It is
approximate (about +-10 degrees) and its sign flips when the photo is mirrored.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from tool_server.faces.detect import RGB, Face
from tool_server.faces.records import QualityReport

MIN_FACE_PX = 120
SIMILAR_SIZE = 0.65
BLUR_WARN = 50.0
YAW_WARN_DEG = 25.0
DARK_WARN = 0.3
BRIGHT_WARN = 0.75
CLIPPED_WARN = 0.15
BLUR_CROP_PX = 256
BLUR_CONTRAST = 50.0  # the crop's grey levels are scaled to this standard deviation first


def face_pixels(rgb: RGB, face: Face) -> RGB:
    """The face box's pixels (clipped to the image)."""
    height, width = rgb.shape[:2]
    box = face.box(width, height)
    return rgb[box.y : box.y + box.height, box.x : box.x + box.width]


def luminance(rgb: RGB) -> np.ndarray:
    """Luma (ITU-R BT.601) in 0..255 as float."""
    return rgb[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def blur_score(rgb: RGB, face: Face) -> float:
    """Variance of the Laplacian of the face resized to 256 px at a fixed contrast (higher is sharper)."""
    pixels = face_pixels(rgb, face)
    if pixels.size == 0:
        return 0.0
    gray = (
        Image.fromarray(pixels).convert("L").resize((BLUR_CROP_PX, BLUR_CROP_PX), Image.Resampling.BILINEAR)
    )
    g = np.asarray(gray, dtype=np.float64)
    spread = g.std()
    if spread < 1.0:
        return 0.0  # a flat patch: nothing in focus
    g *= BLUR_CONTRAST / spread
    laplacian = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4 * g[1:-1, 1:-1]
    return float(laplacian.var())


def yaw_degrees(face: Face, nose_depth: float) -> float:
    """Approximate head turn from the eyes and nose; positive when the face turns to the image's right."""
    left, right, nose = np.array(face.eye_left), np.array(face.eye_right), np.array(face.nose)
    eye_line = right - left
    eye_distance = float(np.linalg.norm(eye_line))
    if eye_distance == 0:
        return 0.0
    offset = float(np.dot(nose - (left + right) / 2, eye_line / eye_distance)) / eye_distance
    return math.degrees(math.atan2(offset, nose_depth))


def exposure(rgb: RGB, face: Face) -> tuple[float, float]:
    """Mean luminance of the face in 0..1, and the share of its pixels clipped to black or white."""
    luma = luminance(face_pixels(rgb, face))
    if luma.size == 0:
        return 0.0, 0.0
    clipped = float(np.mean((luma <= 3) | (luma >= 252)))
    return float(luma.mean() / 255), clipped


def assess(
    rgb: RGB, faces: list[Face], nose_depth: float, *, min_face_px: int = MIN_FACE_PX
) -> QualityReport:
    """The quality report of a photo (or of the user's crop of it) given its faces, main face first."""
    if not faces:
        return QualityReport(
            verdict="reject",
            reasons=["No face found: upload a clear photo of your face, looking at the camera"],
            face_count=0,
        )
    height, width = rgb.shape[:2]
    main, others = faces[0], faces[1:]
    face_px = round(main.width)
    blur = blur_score(rgb, main)
    yaw = yaw_degrees(main, nose_depth)
    brightness, clipped = exposure(rgb, main)

    rejects: list[str] = []
    warns: list[str] = []
    if any(other.width >= SIMILAR_SIZE * main.width for other in others):
        rejects.append("Several faces of similar size: upload a photo of only you")
    elif others:
        warns.append("Other faces in the background: a photo of only you works best")
    if face_px < min_face_px:
        rejects.append(
            f"The face is small ({face_px} px, at least {min_face_px} needed): move closer or use a sharper, "
            "larger photo"
        )
    left, top, right, bottom = main.rect
    if left < 0 or top < 0 or right > width or bottom > height:
        warns.append("The face is cut by the edge of the photo: show the whole face")
    if blur < BLUR_WARN:
        warns.append("The photo is blurry: hold the phone steady and focus on the face")
    if abs(yaw) > YAW_WARN_DEG:
        warns.append(f"The head is turned (about {abs(yaw):.0f}°): face the camera")
    if brightness < DARK_WARN:
        warns.append("The face is dark: more light, for example facing a window")
    elif brightness > BRIGHT_WARN or clipped > CLIPPED_WARN:
        warns.append("The face is overexposed: avoid direct sun or flash")

    return QualityReport(
        verdict="reject" if rejects else "warn" if warns else "ok",
        reasons=rejects + warns,
        face_count=len(faces),
        face_box=main.box(width, height),
        face_px=face_px,
        face_share=round(main.width / min(width, height), 3),
        blur=round(blur, 1),
        yaw_deg=round(yaw, 1),
        brightness=round(brightness, 3),
        clipped_share=round(clipped, 3),
    )
