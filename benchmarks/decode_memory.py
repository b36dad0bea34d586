"""Issue 14 item 4: server memory for 6 parallel uploads of a near-cap picture in a small file.

Starts the real HTTP server (`coach-image-tools serve --transport http`, loopback, offline provider)
as a subprocess, uploads 6 copies of a 39.7 MP PNG of a few hundred KB to the upload route in
parallel, and prints the server process's resident memory (VmRSS) at baseline, its peak while the
uploads run (sampled every 10 ms), and 3 s after they finished.

    python -m benchmarks.decode_memory [SOURCE_DIR]   # SOURCE_DIR: another checkout, e.g. main's
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
SIZE = (7280, 5456)  # 39.7 MP, just under the 40 MP cap of before
PARALLEL = 6


def near_cap_png() -> bytes:
    """A mostly flat 39.7 MP picture: PNG stores it in a few hundred KB."""
    image = Image.new("RGB", SIZE, (200, 170, 150))
    draw = ImageDraw.Draw(image)
    for i in range(0, SIZE[0], 160):
        draw.line([(i, 0), (SIZE[0] - i, SIZE[1])], fill=(i % 256, 90, 200 - i % 200), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    source = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    data = near_cap_png()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_IMAGE_")}
        env.update(
            PYTHONPATH=str(source),
            COACH_IMAGE_STORAGE_URL=str(Path(tmp) / "data"),
            COACH_IMAGE_PROVIDER="offline",
            COACH_IMAGE_LOG_LEVEL="WARNING",
            COACH_IMAGE_FACE_PROCESSES="1",
        )
        args = [sys.executable, "-m", "tool_server", "serve", "--transport", "http", "--port", str(port)]
        server = subprocess.Popen(args, env=env, cwd=tmp, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/api/v1/users/me/upload-photo/"
            with httpx2.Client(timeout=300) as http:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        http.get(f"http://127.0.0.1:{port}/metrics")
                        break
                    except httpx2.TransportError:
                        if time.monotonic() > deadline or server.poll() is not None:
                            raise SystemExit("the server did not start") from None
                        time.sleep(0.1)
                baseline = rss_mb(server.pid)
                peak = baseline
                done = threading.Event()

                def sample() -> None:
                    nonlocal peak
                    while not done.is_set():
                        peak = max(peak, rss_mb(server.pid))
                        time.sleep(0.01)

                sampler = threading.Thread(target=sample)
                sampler.start()

                def upload(_: int) -> int:
                    files = {"image": ("big.png", data, "image/png")}
                    return int(http.put(url, files=files).status_code)

                with ThreadPoolExecutor(PARALLEL) as pool:
                    statuses = list(pool.map(upload, range(PARALLEL)))
                done.set()
                sampler.join()
                time.sleep(3)
                after = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{PARALLEL} parallel uploads of a {SIZE[0]}x{SIZE[1]} PNG ({len(data) / 1024:.0f} KB): {statuses}")
    print(f"server RSS: baseline {baseline:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB")


if __name__ == "__main__":
    main()
