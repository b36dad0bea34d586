"""The tests' fake OpenAI Images API, answering with a real 1024x1024 picture after a set delay.

    python -m benchmarks.fake_provider --delay 2.0 --picture scene

Run in its own process by the benchmarks (prints its base URL, serves until stdin closes), so its
request parsing and checks do not count as the server's CPU work or stall the server's event loop,
as a real remote provider would not. `scene`: the benchmark user's face in a room; `dog`: a valid
dog avatar (transparent, or on white when the request asks for an opaque background).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import time
from functools import cache

from PIL import Image

from tests.fakes.fake_openai import FakeOpenAI, usage_block
from tests.fakes.http_fake import RecordedRequest, Reply


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@cache
def users_face() -> Image.Image:
    """The benchmark user's reference photo (the tests' public-domain astronaut portrait)."""
    from tests.photo_files import portrait

    return portrait()


@cache
def scene_png() -> bytes:
    """A generated picture with the user's face in it, as a provider would return it."""
    canvas = Image.new("RGB", (1024, 1024), (200, 210, 230))
    face = users_face().copy()
    face.thumbnail((600, 600))
    canvas.paste(face, ((1024 - face.width) // 2, (1024 - face.height) // 2))
    return encode_png(canvas)


@cache
def dog_png(on_white: bool) -> bytes:
    from tool_server.dogs.base_image import render_base_image

    dog = render_base_image()
    if not on_white:
        return encode_png(dog)
    canvas = Image.new("RGBA", dog.size, "white")
    canvas.alpha_composite(dog)
    return encode_png(canvas.convert("RGB"))


class PictureOpenAI(FakeOpenAI):
    """FakeOpenAI whose default reply is `picture` after `delay_s` (the body is encoded once)."""

    def __init__(self, picture: str = "scene", delay_s: float = 0.0) -> None:
        super().__init__()
        self.picture = picture
        self.delay_s = delay_s

    def default_reply(self, request: RecordedRequest) -> Reply:
        params = self.params(request)
        if self.picture == "dog":
            data = dog_png(on_white=params.get("background") != "transparent")
        else:
            data = scene_png()
        usage = usage_block(str(params.get("quality") or "high"), str(params.get("size") or "1024x1024"), 1)
        return Reply(200, body=_body(data, json.dumps(usage)), delay_s=self.delay_s)


@cache
def _body(data: bytes, usage: str) -> bytes:
    reply = {"created": int(time.time()), "data": [{"b64_json": base64.b64encode(data).decode()}]}
    return json.dumps({**reply, "usage": json.loads(usage)}).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--picture", choices=("scene", "dog"), default="scene")
    args = parser.parse_args()
    with PictureOpenAI(args.picture, args.delay) as fake:
        scene_png() if args.picture == "scene" else None  # encode before the first request
        print(fake.base_url, flush=True)
        sys.stdin.read()  # until the benchmark closes our stdin
        print(json.dumps({"requests": len(fake.requests), "violations": fake.violations}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
