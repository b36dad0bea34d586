"""Per-step timings of the local face analysis on a 1024x1024 image (median of N runs).

    python benchmarks/faces_bench.py [--runs 7] [--image PATH]

Without --image the portrait is Grace Hopper (from matplotlib's wheel) scaled onto a 1024x1024
canvas; the swap puts the astronaut's face (scikit-image) onto it. Model loading is timed once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tool_server.faces import FaceAnalyzer, FaceConfig
from tool_server.faces import models as face_models
from tool_server.faces import swap as swapping
from tool_server.faces.detect import DETECT_LONG_SIDE, find_faces
from tool_server.faces.pixels import to_rgb


def default_portrait() -> Image.Image:
    from matplotlib import cbook

    with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as photo:
        hopper = photo.convert("RGB")
    canvas = Image.new("RGB", (1024, 1024), (120, 120, 120))
    scaled = hopper.resize((874, 1024), Image.Resampling.LANCZOS)
    canvas.paste(scaled, (75, 0))
    return canvas


def median_ms(step: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--image", type=Path, help="a photo to scale to 1024x1024 instead of the default")
    args = parser.parse_args()

    image = Image.open(args.image).convert("RGB").resize((1024, 1024)) if args.image else default_portrait()
    from skimage import data

    source_face = Image.fromarray(data.astronaut()).crop((120, 12, 320, 212)).resize((512, 512))

    analyzer = FaceAnalyzer(FaceConfig())
    start = time.perf_counter()
    analyzer.warm_up(swap=True)
    load_ms = (time.perf_counter() - start) * 1000

    rgb = to_rgb(image)
    scale = DETECT_LONG_SIDE / max(rgb.shape[:2])
    small = np.asarray(image.resize((round(image.width * scale), round(image.height * scale))))
    backend = analyzer.backend
    faces = find_faces(backend, rgb)
    if not faces:
        sys.exit("no face in the benchmark image")
    face = faces[0]
    detection = backend.detect(small, 1)[0].scaled(1 / scale)
    reference = analyzer.embedding_of(image)
    assert reference is not None

    def predict_68() -> None:
        from tool_server.faces.backend_dlib import dlib_rect

        with face_models.shape_68.use() as predictor:
            predictor(rgb, dlib_rect(face.rect))

    source_rgb, target_rgb = to_rgb(source_face), rgb
    src_pts = swapping.landmarks_68(source_rgb, "source")
    dst_pts = swapping.landmarks_68(target_rgb, "target")
    steps: dict[str, Callable[[], Any]] = {
        f"detect ({DETECT_LONG_SIDE} px copy, upsample 1)": lambda: backend.detect(small, 1),
        "detect (1024 px, upsample 0)": lambda: backend.detect(rgb, 0),
        "landmarks, 5 points": lambda: backend.face(rgb, detection),
        "landmarks, 68 points (swap only)": predict_68,
        "embedding (128-d, jitter 0)": lambda: backend.embed(rgb, face),
        "whole likeness score": lambda: analyzer.likeness(image, [reference]),
        "whole reference analysis": lambda: analyzer.analyze_reference(image),
        "swap given landmarks (warp + colour + clone)": lambda: swapping.blend(
            source_rgb, src_pts, target_rgb, dst_pts
        ),
        "whole swap (detect both faces, 68 points, blend)": lambda: swapping.swap_faces(
            source_rgb, target_rgb
        ),
    }
    print(f"face analysis, {image.width}x{image.height}, backend {backend.name}, median of {args.runs} runs")
    print(f"  {'model loading (5 + 68 points, ResNet, detector)':48s} {load_ms:8.1f} ms (once)")
    for name, step in steps.items():
        print(f"  {name:48s} {median_ms(step, args.runs):8.1f} ms")


if __name__ == "__main__":
    main()
