"""The one small contract every image provider implements, and the records it returns.

A provider turns an `ImageRequest` (prompt, reference images, size, quality, ...) into an
`ImageResult` (final images as bytes with sniffed MIME types, interim images, usage, cost,
latency, request id). Each call it makes to a vendor is described by a `ProviderCall`, which the
callers store in run records (parameters only, never image bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Quality = Literal["low", "medium", "high", "auto"]
Background = Literal["auto", "opaque", "transparent"]
OutputFormat = Literal["png", "jpeg", "webp"]
# What the request is for. Hosted providers only read the prompt and the references; the offline
# provider needs to know which reference is the target of a face swap, and that a dog avatar is an
# edit of the base dog (references[0]) rather than a scene with a person.
Task = Literal["scene", "face_swap", "dog_avatar"]


@dataclass(frozen=True)
class ReferenceImage:
    """An input image: bytes with their real MIME type and a file name with an extension."""

    data: bytes
    mime_type: str
    name: str


@dataclass(frozen=True)
class ImageRequest:
    """What the caller wants. `size` is `WxH` or `auto`; Gemini maps it to an aspect ratio and 1K/2K/4K.

    For `task="face_swap"`, `references[0]` is the target image and the rest are face references.
    `user` is the acting user's id: adapters send only a stable hash of it to vendors.
    """

    prompt: str
    user: str
    references: tuple[ReferenceImage, ...] = ()
    size: str = "1024x1024"
    quality: Quality = "high"
    background: Background = "auto"
    output_format: OutputFormat = "png"
    n: int = 1
    model: str | None = None
    task: Task = "scene"
    # An earlier conversation to continue (Gemini contents as JSON, from `ImageResult.turns`). Gemini
    # sends it, then the prompt alone; other providers ignore it and edit `references[0]` instead.
    history: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    mime_type: str


@dataclass
class ProviderCall:
    """One request to a vendor (or the offline renderer), as stored in run records."""

    provider: str
    model: str
    operation: str
    params: dict[str, Any]
    started_at: str
    latency_s: float = 0.0
    usage: dict[str, Any] = field(default_factory=dict)
    cost_usd: float = 0.0
    request_id: str | None = None
    error: str | None = None
    error_kind: str | None = None
    attempts: int = 1


@dataclass
class ImageResult:
    images: list[GeneratedImage]
    provider: str
    model: str
    interim: list[GeneratedImage] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    cost_usd: float = 0.0
    latency_s: float = 0.0
    request_id: str | None = None
    calls: list[ProviderCall] = field(default_factory=list)
    # Per image, the conversation that made it (history + user turn + model turn, Gemini JSON with
    # thought signatures as received): what a later refine sends back. Empty for other providers.
    turns: list[list[dict[str, Any]]] = field(default_factory=list)


class ImageProvider(Protocol):
    """An image provider. Implementations are async and never block the event loop."""

    name: str

    def default_model(self) -> str: ...

    async def generate(self, request: ImageRequest) -> ImageResult:
        """Make `request.n` images; raise a `tool_server.errors.ProviderError` subclass on failure."""
        ...
