"""The offline provider: deterministic local images, no network, no key, labelled `offline` everywhere.

It lets the server run end to end without vendor keys (dev, demos, tests):
- `task="scene"` with references composes a scene of the requested size from the prompt's hash and
  the first reference (face crop or photo), its face kept large and undistorted;
- `task="scene"` without references shows the bundled generic person (later face-swapped);
- `task="face_swap"` hands `references[1]` (face source) and `references[0]` (target) to the injected
  `face_swapper`, which the faces module provides;
- `task="dog_avatar"` draws the accessory named in the prompt on the base dog (`references[0]`):
  a transparent monoline placeholder (`tool_server.dogs.placeholder`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
from PIL import Image, UnidentifiedImageError

from tool_server.errors import InvalidInput, ProviderUnavailable, ToolServerError
from tool_server.mime import sniff_mime
from tool_server.providers.base import GeneratedImage, ImageRequest, ImageResult
from tool_server.providers.capabilities import capabilities_for, check_request, parse_size
from tool_server.providers.offline_render import (
    FaceLocator,
    dlib_face_box,
    encode,
    generic_person,
    open_image,
    render_scene,
)
from tool_server.providers.recording import CallRecorder, attach_calls, describe_images

logger = logging.getLogger(__name__)

OFFLINE_MODEL = "offline-compositor-v1"
FaceSwapper = Callable[[bytes, bytes], bytes]
"""(source face image bytes, target image bytes) -> result image bytes."""

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class OfflineProvider:
    """Local compositor standing in for a hosted image model."""

    name = "offline"

    def __init__(
        self,
        *,
        face_swapper: FaceSwapper | None = None,
        face_locator: FaceLocator | None = None,
        limiter: anyio.CapacityLimiter | None = None,
    ) -> None:
        self.face_swapper = face_swapper
        self._locate = face_locator or dlib_face_box
        self._limiter = limiter

    def default_model(self) -> str:
        return OFFLINE_MODEL

    async def generate(self, request: ImageRequest) -> ImageResult:
        """Render `request.n` images locally (CPU work in a worker thread)."""
        caps = capabilities_for(request.model or OFFLINE_MODEL, self.name)
        check_request(caps, request)
        if request.task == "dog_avatar" and not request.references:
            raise InvalidInput("A dog avatar is an edit of the base dog: send it as the first reference.")
        if request.task == "face_swap":
            if len(request.references) < 2:
                raise InvalidInput(
                    "A face swap needs the target image first and at least one face image after it."
                )
            if self.face_swapper is None:
                raise ProviderUnavailable(
                    "The offline face swap needs the faces module, which is not wired in: use a hosted "
                    "provider or the direct strategy.",
                    provider=self.name,
                )
        params: dict[str, Any] = {
            "task": request.task,
            "prompt": request.prompt,
            "size": request.size,
            "n": request.n,
            "background": request.background,
            "output_format": request.output_format,
            "image": describe_images(request.references),
        }
        recorder = CallRecorder(self.name, OFFLINE_MODEL, f"offline.{request.task}", params)
        limiter = self._limiter or anyio.CapacityLimiter(1)
        try:
            async with limiter:
                images = await anyio.to_thread.run_sync(partial(self._render, request))
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            error = InvalidInput(
                f"The offline provider could not read an input image ({exc}): upload a PNG or JPEG."
            )
            attach_calls(error, [recorder.failed(error, attempts=1)])
            raise error from exc
        except ToolServerError as error:
            attach_calls(error, [recorder.failed(error, attempts=1)])
            raise
        request_id = "offline-" + _digest(request)
        call = recorder.succeeded(
            usage={"images": len(images)}, cost_usd=0.0, request_id=request_id, attempts=1
        )
        return ImageResult(
            images=images,
            provider=self.name,
            model=OFFLINE_MODEL,
            usage={"images": len(images)},
            cost_usd=0.0,
            latency_s=call.latency_s,
            request_id=request_id,
            calls=[call],
        )

    def _render(self, request: ImageRequest) -> list[GeneratedImage]:
        if request.task == "face_swap":
            return self._swap(request)
        width, height = parse_size(request.size) or (1024, 1024)
        if request.task == "dog_avatar":
            from tool_server.dogs.placeholder import render_placeholder

            opaque = request.background == "opaque"
            dog = render_placeholder(
                request.references[0].data, request.prompt, (width, height), opaque=opaque
            )
            data = encode(dog, request.output_format)
            return [GeneratedImage(data, _MIME[request.output_format]) for _ in range(request.n)]
        generic = not request.references
        person = open_image(generic_person() if generic else request.references[0].data)
        face = self._locate(person)
        images = []
        for variant in range(request.n):
            transparent = request.background == "transparent"
            picture = render_scene(
                request.prompt,
                (width, height),
                person,
                face,
                variant=variant,
                transparent=transparent,
                generic=generic,
            )
            images.append(
                GeneratedImage(encode(picture, request.output_format), _MIME[request.output_format])
            )
        return images

    def _swap(self, request: ImageRequest) -> list[GeneratedImage]:
        assert self.face_swapper is not None
        target, source = request.references[0].data, request.references[1].data
        target = _at_requested_size(target, request.size)
        swapped = self.face_swapper(source, target)
        wanted = _MIME[request.output_format]
        if sniff_mime(swapped) != wanted:
            swapped = encode(open_image(swapped), request.output_format)
        return [GeneratedImage(swapped, wanted) for _ in range(request.n)]


def _at_requested_size(target: bytes, size: str) -> bytes:
    """A small target enlarged to fit the requested size, as a hosted model's answer would be.

    The swapped face is then drawn at that resolution instead of being squeezed into a small one.
    """
    wanted = parse_size(size)
    if wanted is None:
        return target
    image = open_image(target)
    scale = min(wanted[0] / image.width, wanted[1] / image.height)
    if scale <= 1.0:
        return target
    width, height = round(image.width * scale), round(image.height * scale)
    return encode(image.resize((width, height), Image.Resampling.LANCZOS), "png")


def _digest(request: ImageRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.task, request.prompt, request.size, request.background, request.output_format):
        digest.update(part.encode() + b"\0")
    for ref in request.references:
        digest.update(hashlib.sha256(ref.data).digest())
    return digest.hexdigest()[:16]
