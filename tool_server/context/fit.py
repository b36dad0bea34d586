"""Every image resource read fits one message on the wire, in the format the image is stored in.

Over streamable HTTP a resource read travels as one server-sent event, and the MCP Python client
(the SDK this project pins, also under fastmcp) refuses events over 1 MiB. A blob is base64 (4/3
larger) inside a JSON-RPC envelope, so image bytes are kept under `MAX_BLOB_BYTES`: a stored image
that is larger is re-encoded for the read (JPEG, or WebP when it has transparency), scaled down if
need be, and `_meta` says so and where the full-resolution original is (its signed URL).
Smaller images go out exactly as stored, with their own MIME type.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from tool_server.mime import sniff_mime

MAX_EVENT_BYTES = 1 << 20
MAX_BLOB_BYTES = 720_000  # base64 makes 960,000 characters: room for the envelope under 1 MiB
_QUALITIES = (88, 80, 72)
logger = logging.getLogger(__name__)

OriginalUrl = Callable[[str], Awaitable[str | None]]


@dataclass(frozen=True)
class Fitted:
    data: bytes
    mime_type: str
    size: tuple[int, int]


def fit_image(data: bytes, max_bytes: int = MAX_BLOB_BYTES) -> Fitted:
    """`data` re-encoded (JPEG, or WebP if it has transparency) and scaled down until under `max_bytes`."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        alpha = opened.mode in ("RGBA", "LA", "PA") or "transparency" in opened.info
        image = opened.convert("RGBA" if alpha else "RGB")
    fmt, mime = ("WEBP", "image/webp") if alpha else ("JPEG", "image/jpeg")
    while True:
        for quality in _QUALITIES:
            buffer = io.BytesIO()
            image.save(buffer, format=fmt, quality=quality)
            if buffer.tell() <= max_bytes:
                return Fitted(buffer.getvalue(), mime, image.size)
        width, height = image.size
        if max(width, height) <= 64:
            raise ValueError("the image does not compress under the message size limit")
        image = image.resize((width * 3 // 4, height * 3 // 4), Image.Resampling.LANCZOS)


class ResourceFit:
    """Server middleware: sets each image blob's real MIME type and re-encodes one too large to send."""

    def __init__(self, original_url: OriginalUrl | None = None) -> None:
        self.original_url = original_url

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        # The chain hands back the result already shaped for the wire (a dict).
        if ctx.method != "resources/read" or not isinstance(result, dict):
            return result
        contents = result.get("contents") or []
        return {
            **result,
            "contents": [await self._fit(item) if "blob" in item else item for item in contents],
        }

    async def _fit(self, item: dict[str, Any]) -> dict[str, Any]:
        blob = str(item["blob"])
        mime = sniff_mime(base64.b64decode(blob[:16]))
        if mime is None:
            return item
        if len(blob) <= MAX_BLOB_BYTES * 4 // 3:
            return {**item, "mimeType": mime}
        data = base64.b64decode(blob)
        fitted = await anyio.to_thread.run_sync(fit_image, data)
        width, height = fitted.size
        note = (
            f"Re-encoded from the stored {mime} ({len(data) / 1e6:.1f} MB) as {fitted.mime_type} "
            f"{width}x{height} to fit one message; the full-resolution original is at full_url."
        )
        meta: dict[str, Any] = {**(item.get("_meta") or {}), "reencoded": note}
        url = await self._original_url(str(item["uri"]))
        if url:
            meta["full_url"] = url
        logger.info("resource %s re-encoded: %d -> %d bytes", item["uri"], len(data), len(fitted.data))
        return {
            **item,
            "blob": base64.b64encode(fitted.data).decode(),
            "mimeType": fitted.mime_type,
            "_meta": meta,
        }

    async def _original_url(self, uri: str) -> str | None:
        if self.original_url is None:
            return None
        try:
            return await self.original_url(uri)
        except Exception:  # the link is a courtesy: the re-encoded image is still sent
            logger.warning("no original URL for %s", uri, exc_info=True)
            return None
