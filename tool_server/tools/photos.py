"""Reference photo tools: add, list, remove."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.errors import InvalidInput, LimitExceeded
from tool_server.tools.boundary import coach_errors
from tool_server.userdata.models import PhotoRecord


class PhotoCrop(BaseModel):
    """An explicit square crop of the upright photo, in pixels (from a crop UI)."""

    x: int = Field(ge=0, description="Left edge of the square, in pixels of the upright photo.")
    y: int = Field(ge=0, description="Top edge of the square, in pixels of the upright photo.")
    size: int = Field(gt=0, description="Side of the square, in pixels.")


class PhotoInfo(BaseModel):
    photo_id: str
    primary: bool = Field(description="The first photo is the primary one (user_photo_url).")
    url: str
    face_crop_url: str | None = None
    width: int
    height: int
    filename: str | None = None
    created_at: str
    quality_verdict: str | None = Field(None, description="ok, warn or reject, from face analysis.")
    quality_reasons: list[str] = Field(default_factory=list)


class AddPhotoResult(BaseModel):
    photo_id: str
    photo_count: int
    max_photos: int
    url: str
    face_crop_url: str | None = None
    quality_verdict: str | None = None
    quality_reasons: list[str] = Field(default_factory=list)
    face_box: dict[str, int] | None = None
    message: str


class PhotoList(BaseModel):
    photos: list[PhotoInfo]
    photo_count: int
    max_photos: int
    consistent: bool = Field(description="False: the photos show different people; images are refused.")
    mismatched_photo_ids: list[str] = Field(default_factory=list)
    message: str | None = None


class RemovePhotoResult(BaseModel):
    removed_photo_id: str
    photo_count: int


async def photo_info(app: AppContext, record: PhotoRecord, primary: bool) -> PhotoInfo:
    quality = record.quality or {}
    return PhotoInfo(
        photo_id=record.photo_id,
        primary=primary,
        url=await app.url_for(record.key),
        face_crop_url=await app.url_for(record.face_crop_key) if record.face_crop_key else None,
        width=record.width,
        height=record.height,
        filename=record.filename,
        created_at=record.created_at.isoformat(),
        quality_verdict=quality.get("verdict"),
        quality_reasons=list(quality.get("reasons", [])),
    )


async def read_image_source(
    app: AppContext, image_base64: str | None, path: str | None
) -> tuple[bytes, str | None]:
    if (image_base64 is None) == (path is None):
        raise InvalidInput("Give exactly one of image_base64 (the photo's bytes) or path (stdio only).")
    limit = app.settings.max_upload_bytes
    if path is not None:
        if app.transport != "stdio":
            raise InvalidInput("path is only accepted on a local (stdio) server; send image_base64 instead.")
        file = await anyio.to_thread.run_sync(lambda: Path(path).expanduser())
        if not await anyio.to_thread.run_sync(file.is_file):
            raise InvalidInput(f"No file at {path!r}. Check the path the user gave.")
        size = (await anyio.to_thread.run_sync(file.stat)).st_size
        if size > limit:
            raise LimitExceeded(
                f"The file is {size / 2**20:.1f} MB; the limit is {limit / 2**20:.1f} MB. "
                "Ask the user for a smaller photo."
            )
        return await anyio.to_thread.run_sync(file.read_bytes), file.name
    assert image_base64 is not None
    text = image_base64.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    text = "".join(text.split())
    if len(text) * 3 // 4 > limit + 3:
        raise LimitExceeded(
            f"The photo is about {len(text) * 3 / 4 / 2**20:.1f} MB; the limit is {limit / 2**20:.1f} MB. "
            "Ask the user for a smaller photo."
        )
    try:
        return base64.b64decode(text, validate=True), None
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("image_base64 is not valid base64. Send the file's bytes base64-encoded.") from exc


def mixed_people_message(odd: list[str]) -> str:
    return (
        f"The reference photos show different people ({', '.join(odd)} don't match the others), so "
        "likeness cannot be judged. Ask the user which photos are not them and remove those with "
        "remove_reference_photo."
    )


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.tool(
        title="Add a reference photo",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False),
    )
    @coach_errors
    async def add_reference_photo(
        image_base64: Annotated[
            str | None, Field(description="The photo file (JPEG, PNG, WebP or HEIC), base64-encoded.")
        ] = None,
        path: Annotated[
            str | None,
            Field(description="A local file path instead of image_base64 (local stdio servers only)."),
        ] = None,
        filename: Annotated[
            str | None, Field(description="The photo's original file name, if known.")
        ] = None,
        crop: Annotated[
            PhotoCrop | None,
            Field(description="Optional square face crop chosen by the user; automatic when left out."),
        ] = None,
    ) -> AddPhotoResult:
        """Save a photo of the user as a reference for identity images (up to 5 are kept).

        Use when the user shares a clear, recent photo of their face; the best references are
        well lit, facing the camera, with only the user in them. The photo is stored upright with
        all metadata (including GPS) removed, and checked for a usable face: the result's
        quality_verdict is ok, warn (usable; pass the reasons on so the user can send a better one)
        or the call fails with what to ask the user for. Returns the photo id, the photo count
        and a URL. At the limit, remove one with remove_reference_photo first.
        """
        user = acting_user(app)
        data, source_name = await read_image_source(app, image_base64, path)
        record, findings, count = await app.photos.add(
            user, data, filename or source_name, crop.model_dump() if crop else None
        )
        info = await photo_info(app, record, primary=count == 1)
        verdict = findings.verdict if findings else None
        message = f"Saved reference photo {record.photo_id} ({count} of {app.photos.max_photos})."
        if verdict == "warn":
            message += " It is usable, but: " + "; ".join(info.quality_reasons)
        return AddPhotoResult(
            photo_id=record.photo_id,
            photo_count=count,
            max_photos=app.photos.max_photos,
            url=info.url,
            face_crop_url=info.face_crop_url,
            quality_verdict=verdict,
            quality_reasons=info.quality_reasons,
            face_box=record.face_box,
            message=message,
        )

    @server.tool(title="List reference photos", annotations=ToolAnnotations(read_only_hint=True))
    @coach_errors
    async def list_reference_photos() -> PhotoList:
        """List the user's reference photos with their URLs and face-quality verdicts.

        Use before generating images to see whether the user has photos and how good they are.
        An empty list means: guide the user to upload one with add_reference_photo. consistent
        false: the photos show different people; remove the ones that aren't the user.
        """
        index = await app.photos.index(acting_user(app))
        photos = [await photo_info(app, p, primary=i == 0) for i, p in enumerate(index.photos)]
        odd = await app.photos.mismatched(index)
        return PhotoList(
            photos=photos,
            photo_count=len(photos),
            max_photos=app.photos.max_photos,
            consistent=not odd,
            mismatched_photo_ids=odd,
            message=mixed_people_message(odd) if odd else None,
        )

    @server.tool(
        title="Remove a reference photo",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False),
    )
    @coach_errors
    async def remove_reference_photo(
        photo_id: Annotated[
            str, Field(description="The photo_id from add_reference_photo or list_reference_photos.")
        ],
    ) -> RemovePhotoResult:
        """Delete one of the user's reference photos (and its face crop) for good.

        Use when the user asks to, or to make room when they already have the most photos kept.
        Returns how many photos remain.
        """
        remaining = await app.photos.remove(acting_user(app), photo_id)
        return RemovePhotoResult(removed_photo_id=photo_id, photo_count=remaining)
