"""Image tool results: structured content, a one-line summary, a small preview and a ResourceLink.

Nothing inline is ever large: the preview's longest side is at most 512 px (JPEG), the full image
is only linked (`coach://images/{id}`), so a result stays far under the 1 MiB clients accept.
"""

from __future__ import annotations

import base64
from typing import Any

import anyio.to_thread
from mcp.types import CallToolResult, ImageContent, ResourceLink, TextContent
from pydantic import BaseModel

from tool_server.app import AppContext
from tool_server.generation.images import preview_jpeg
from tool_server.timing import stage
from tool_server.userdata import keys
from tool_server.userdata.models import ImageRecord


async def image_blocks(app: AppContext, user: str, image_id: str, title: str) -> list[Any]:
    record = await app.docs.read(keys.image_record(user, image_id), ImageRecord)
    if record is None:
        return []
    data = await app.blobs.get(record.key)

    def encode_preview() -> bytes:
        with stage("preview encoding"):
            return preview_jpeg(data)

    description = f"Full-size image, {record.width}x{record.height}."
    return preview_blocks(
        await anyio.to_thread.run_sync(encode_preview),
        uri=f"coach://images/{image_id}",
        name=record.name or image_id,
        title=title,
        description=description,
    )


def preview_blocks(preview: bytes, *, uri: str, name: str, title: str, description: str) -> list[Any]:
    """The small JPEG `preview` (from `preview_jpeg`) inline and a ResourceLink to the full PNG at `uri`."""
    return [
        ImageContent(type="image", data=base64.b64encode(preview).decode(), mime_type="image/jpeg"),
        ResourceLink(
            type="resource_link",
            uri=uri,
            name=name,
            title=title,
            mime_type="image/png",
            description=description,
        ),
    ]


def tool_result(structured: BaseModel, summary: str, blocks: list[Any] | None = None) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=summary), *(blocks or [])],
        structured_content=structured.model_dump(mode="json"),
    )
