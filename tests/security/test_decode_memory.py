"""Memory under the image caps: small files holding huge pictures are decoded within a pixel budget.

The attack: six 39.7 MP PNGs of a few hundred KB each, uploaded at once, took the server from 754 MB
to 2.77 GB (`python -m benchmarks.decode_memory` prints the figure). Decodes now take turns by
megapixels, JPEGs decode at a reduced scale, and real phone photos (48 MP) are still accepted.
"""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageFile

from tool_server.imaging import decode
from tool_server.imaging.decode import REFERENCE_SIDE_PX, DecodeLimits, decode_untrusted
from tool_server.settings import Settings

LIMITS = DecodeLimits(
    max_bytes=20 * 2**20, max_megapixels=Settings(_env_file=None).max_megapixels, min_side_px=256
)  # type: ignore[call-arg]


def flat_png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 150, 140)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_six_parallel_near_cap_pngs_in_small_files_are_never_decoded_at_the_same_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = flat_png((7280, 5456))  # 39.7 MP in a small file
    assert len(data) < 400 * 1024
    inside = 0
    overlapped = threading.Event()
    lock = threading.Lock()
    real_load = ImageFile.ImageFile.load

    def watched_load(self: ImageFile.ImageFile) -> object:
        nonlocal inside
        with lock:
            inside += 1
            if inside > 1:
                overlapped.set()
        try:
            overlapped.wait(timeout=1.0)  # bounded: gives a second decode the chance to overlap
            return real_load(self)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", watched_load)
    with ThreadPoolExecutor(6) as pool:
        decoded = list(pool.map(lambda _: decode_untrusted(data, LIMITS), range(6)))

    assert not overlapped.is_set()
    assert all(max(d.image.size) <= LIMITS.max_side_px for d in decoded)
    assert decode.PIXEL_BUDGET.in_use == 0


def test_a_48_megapixel_phone_photo_is_accepted_and_decoded_at_reference_size() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8064, 6048), (120, 110, 100)).save(buffer, format="JPEG", quality=80)
    limits = DecodeLimits(LIMITS.max_bytes, LIMITS.max_megapixels, 256, max_side_px=REFERENCE_SIDE_PX)

    decoded = decode_untrusted(buffer.getvalue(), limits)

    assert decoded.image.size == (2048, 1536) and decoded.source_format == "jpeg"
