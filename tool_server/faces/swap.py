"""The classical offline face swap: put the source's face onto the target's head.

68 landmarks on both faces plus 10 forehead points (the brows lifted by a fifth of the
brows-to-chin height: without the forehead the result keeps too much of the target; on 6 pairs
the mean distance to the source fell from 0.53 to 0.45); a Delaunay triangulation of the
target's points; one affine warp per triangle; the warped face's colours matched to the target's
skin (mean and spread in Lab); the target's inner mouth kept (points 60-67: teeth and tongue do
not warp well between expressions); then `cv2.seamlessClone` to blend the edge.

LICENCE: the 68-point model (`shape_predictor_68_face_landmarks.dat`) is trained on iBUG 300-W,
whose licence excludes commercial use. This swap is only the offline provider's renderer and an
explicit fallback a user opts into; the likeness path never uses the 68-point model. It is
plausible on frontal faces of similar size; lighting differences stay and faces under ~150 px
degrade.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from tool_server.faces import models
from tool_server.faces.backend_dlib import DlibBackend, dlib_rect, shape_points
from tool_server.faces.detect import RGB, find_faces
from tool_server.faces.errors import FaceNotFound

INNER_MOUTH = slice(60, 68)
BROWS = slice(17, 27)
CHIN = 8
FOREHEAD_LIFT = 0.2  # of the brows-to-chin height
PAD = 16  # seamlessClone fails when the mask touches the image's border
STD_RATIO_LIMITS = (0.5, 2.0)

Points = NDArray[np.float32]


def landmarks_68(rgb: RGB, role: str) -> Points:
    """The 68 landmarks (and forehead points) of the main face, or `FaceNotFound` naming the image."""
    faces = find_faces(DlibBackend(), rgb)
    if not faces:
        raise FaceNotFound(
            f"No face found in the {role} image: use an image with one clear, front-facing face "
            "at least 150 px wide."
        )
    with models.shape_68.use() as predictor:
        points = shape_points(predictor(rgb, dlib_rect(faces[0].rect)))
    return with_forehead(points).astype(np.float32)


def with_forehead(points: NDArray[np.float64]) -> NDArray[np.float64]:
    """The 68 points and 10 more above the brows, along the chin-to-brows direction."""
    brows = points[BROWS]
    up = brows.mean(axis=0) - points[CHIN]
    return np.vstack([points, brows + up * FOREHEAD_LIFT])


def triangles(points: Points, width: int, height: int) -> list[tuple[int, int, int]]:
    """Delaunay triangles over `points`, as index triples."""
    import cv2

    subdiv = cv2.Subdiv2D((0, 0, width, height))
    inside = np.clip(points, 0, [width - 1, height - 1])
    for x, y in inside:
        subdiv.insert((float(x), float(y)))
    index = {(round(float(x), 1), round(float(y), 1)): i for i, (x, y) in enumerate(inside)}
    result = []
    for t in subdiv.getTriangleList():
        corners = [(round(float(t[k]), 1), round(float(t[k + 1]), 1)) for k in (0, 2, 4)]
        ids = [index.get(c, -1) for c in corners]
        if min(ids) >= 0 and len(set(ids)) == 3:
            result.append((ids[0], ids[1], ids[2]))
    return result


def warp_face(source: RGB, src_pts: Points, dst_pts: Points, shape: tuple[int, ...]) -> RGB:
    """The source image warped triangle by triangle onto the target's landmark positions."""
    import cv2

    height, width = shape[:2]
    out = np.zeros((height, width, 3), dtype=np.float32)
    for tri in triangles(dst_pts, width, height):
        src_tri, dst_tri = src_pts[list(tri)], dst_pts[list(tri)]
        sx, sy, sw, sh = cv2.boundingRect(src_tri)
        dx, dy, dw, dh = cv2.boundingRect(dst_tri)
        x0, y0 = max(dx, 0), max(dy, 0)
        x1, y1 = min(dx + dw, width), min(dy + dh, height)
        if sw == 0 or sh == 0 or x1 <= x0 or y1 <= y0:
            continue
        patch = source[max(sy, 0) : sy + sh, max(sx, 0) : sx + sw].astype(np.float32)
        if patch.size == 0:
            continue
        origin_src = np.array([max(sx, 0), max(sy, 0)], dtype=np.float32)
        origin_dst = np.array([x0, y0], dtype=np.float32)
        matrix = cv2.getAffineTransform(src_tri - origin_src, dst_tri - origin_dst)
        warped = cv2.warpAffine(
            patch, matrix, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
        )
        mask = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
        corners = np.round(dst_tri - origin_dst).astype(np.int32)
        cv2.fillConvexPoly(mask, corners, 1.0, cv2.LINE_AA)
        region = out[y0:y1, x0:x1]
        region *= 1.0 - mask[..., None]
        region += warped * mask[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def face_mask(dst_pts: Points, shape: tuple[int, ...]) -> NDArray[np.uint8]:
    """The target's face hull, minus its inner mouth."""
    import cv2

    mask = np.zeros(shape[:2], dtype=np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(dst_pts).astype(np.int32)), 255)
    cv2.fillPoly(mask, [np.round(dst_pts[INNER_MOUTH]).astype(np.int32)], 0)
    return mask


def match_colours(warped: RGB, target: RGB, mask: NDArray[np.uint8]) -> RGB:
    """Shift the warped face's Lab mean and spread to those of the target's skin under `mask`."""
    import cv2

    inside = mask > 0
    if inside.sum() < 16:
        return warped
    src_lab = cv2.cvtColor(warped, cv2.COLOR_RGB2LAB).astype(np.float32)
    dst_lab = cv2.cvtColor(target, cv2.COLOR_RGB2LAB).astype(np.float32)
    src_vals, dst_vals = src_lab[inside], dst_lab[inside]
    ratio = np.clip(dst_vals.std(axis=0) / (src_vals.std(axis=0) + 1e-6), *STD_RATIO_LIMITS)
    src_lab[inside] = (src_vals - src_vals.mean(axis=0)) * ratio + dst_vals.mean(axis=0)
    return np.asarray(cv2.cvtColor(np.clip(src_lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB), np.uint8)


def swap_faces(source: RGB, target: RGB) -> RGB:
    """The target image with its main face replaced by the source's main face."""
    return blend(source, landmarks_68(source, "source"), target, landmarks_68(target, "target"))


def blend(source: RGB, src_pts: Points, target: RGB, dst_pts: Points) -> RGB:
    """Warp, colour-match and clone the source face onto the target, given both faces' points."""
    import cv2

    warped = warp_face(source, src_pts, dst_pts, target.shape)
    mask = face_mask(dst_pts, target.shape)
    warped = match_colours(warped, target, mask)

    def padded(image: Any) -> Any:
        return cv2.copyMakeBorder(image, PAD, PAD, PAD, PAD, cv2.BORDER_REFLECT_101)

    big_mask = cv2.copyMakeBorder(mask, PAD, PAD, PAD, PAD, cv2.BORDER_CONSTANT, value=0)
    x, y, w, h = cv2.boundingRect(big_mask)
    if w < 3 or h < 3:
        raise FaceNotFound("The target's face is too small to swap: use one at least 150 px wide.")
    blended = cv2.seamlessClone(
        padded(warped[..., ::-1].copy()),
        padded(target[..., ::-1].copy()),
        big_mask,
        (x + w // 2, y + h // 2),
        cv2.NORMAL_CLONE,
    )
    return np.ascontiguousarray(blended[PAD:-PAD, PAD:-PAD, ::-1])
