"""A scripted in-process image provider and the test images it hands out."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import anyio
import numpy as np
from PIL import Image, ImageDraw

from tool_server.dogs.base_image import render_base_image
from tool_server.mime import sniff_mime
from tool_server.providers.base import GeneratedImage, ImageRequest, ImageResult, ProviderCall

COST_PER_IMAGE = 0.04


@dataclass
class ScriptedProvider:
    """Implements `ImageProvider`: answers each request with the next scripted image (or raises it).

    `requests` records what was asked; `called` is set by the first request; `gate`, when given,
    holds every call until it is set. Construct it inside a running event loop.
    """

    script: list[bytes | Exception] = field(default_factory=list)
    name: str = "fake"
    model: str = "fake-image-1"
    gate: anyio.Event | None = None
    requests: list[ImageRequest] = field(default_factory=list)
    called: anyio.Event = field(default_factory=anyio.Event)

    def default_model(self) -> str:
        return self.model

    async def generate(self, request: ImageRequest) -> ImageResult:
        self.requests.append(request)
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        if not self.script:
            raise AssertionError(f"unexpected provider call #{len(self.requests)}")
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        model = request.model or self.model
        call = ProviderCall(self.name, model, "edit", {"size": request.size}, "2026-01-01T00:00:00Z")
        return ImageResult(
            images=[GeneratedImage(item, sniff_mime(item) or "application/octet-stream")],
            provider=self.name,
            model=model,
            cost_usd=COST_PER_IMAGE,
            calls=[call],
        )


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def dog(hat: bool = False) -> Image.Image:
    """A valid avatar: the base dog, optionally with a monoline hat (so two images differ)."""
    image = render_base_image()
    if hat:
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle((430, 150, 594, 230), radius=20, outline="#1a1a1a", width=20)
    return image


def on_background(image: Image.Image, background: Image.Image) -> Image.Image:
    """`image` composited onto an opaque background: no alpha left (RGB)."""
    canvas = background.convert("RGBA")
    canvas.alpha_composite(image)
    return canvas.convert("RGB")


def white(size: int = 1024) -> Image.Image:
    return Image.new("RGB", (size, size), "white")


def checkerboard(tile: int = 16, light: int = 255, grey: int = 204, size: int = 1024) -> Image.Image:
    """The grey and white squares image models paint when asked for "transparent"."""
    y, x = np.mgrid[:size, :size]
    cells = ((y // tile + x // tile) % 2).astype(bool)
    values = np.where(cells, light, grey).astype(np.uint8)
    return Image.fromarray(np.stack([values] * 3, axis=2))


def good_png(hat: bool = False) -> bytes:
    return png(dog(hat))


def opaque_png() -> bytes:
    """The dog on white, without alpha: fails `transparency`."""
    return png(on_background(dog(), white()))


def checkerboard_png() -> bytes:
    """The dog on a painted checkerboard: "transparent" to the eye, opaque to the alpha channel."""
    return png(on_background(dog(), checkerboard()))


def colourful_png() -> bytes:
    """A filled, shaded, colourful shape on transparency: fails `monoline_style`."""
    y, x = np.mgrid[:1024, :1024]
    inside = (x - 512) ** 2 + (y - 512) ** 2 < 300**2
    rgba = np.zeros((1024, 1024, 4), dtype=np.uint8)
    rgba[..., 0] = 120 + (x // 8) % 100
    rgba[..., 1] = 60 + (y // 8) % 120
    rgba[..., 2] = 140
    rgba[..., 3] = np.where(inside, 255, 0)
    return png(Image.fromarray(rgba))
