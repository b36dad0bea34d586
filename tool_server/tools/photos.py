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
    # An explicit square crop of the upright photo, in pixels (from a crop UI). No docstring or field
    # descriptions: they would be listed in tools/list; the `crop` argument says it in one line.
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    size: int = Field(gt=0)


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
    message: str


class RemovePhotoResult(BaseModel):
    removed_photo_id: str
    photo_count: int
    message: str


def photo_list_message(photos: list[PhotoInfo], max_photos: int) -> str:
    """The list in a sentence: each photo's id, whether it is primary, and its quality verdict."""
    if not photos:
        return "No reference photos yet: ask the user for a clear, recent photo (add_reference_photo)."
    described = []
    for photo in photos:
        notes = ["primary"] if photo.primary else []
        if photo.quality_verdict:
            notes.append(
                photo.quality_verdict
                + (": " + "; ".join(photo.quality_reasons) if photo.quality_reasons else "")
            )
        described.append(photo.photo_id + (f" ({', '.join(notes)})" if notes else ""))
    return f"{len(photos)} of {max_photos} reference photos: " + ", ".join(described) + "."


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
            str | None, Field(description="The photo (JPEG, PNG, WebP or HEIC), base64.")
        ] = None,
        path: Annotated[
            str | None,
            Field(description="Or a local file path (stdio only)."),
        ] = None,
        filename: str | None = None,
        crop: Annotated[
            PhotoCrop | None,
            Field(description="A square face crop the user chose (px; default: automatic)."),
        ] = None,
    ) -> AddPhotoResult:
        """Save a clear, recent photo of only the user as a likeness reference (max 5).

        Returns photo_id and quality_verdict (warn: pass the reasons on); an unusable photo fails
        saying what to ask for.
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
        """The user's reference photos: photo_id, primary, url, quality verdict, consistent.

        consistent false: the photos show different people; remove those that aren't the user.
        """
        index = await app.photos.index(acting_user(app))
        photos = [await photo_info(app, p, primary=i == 0) for i, p in enumerate(index.photos)]
        odd = await app.photos.mismatched(index)
        max_photos = app.photos.max_photos
        message = photo_list_message(photos, max_photos)
        if odd:
            message += " " + mixed_people_message(odd)
        return PhotoList(
            photos=photos,
            photo_count=len(photos),
            max_photos=max_photos,
            consistent=not odd,
            mismatched_photo_ids=odd,
            message=message,
        )

    @server.tool(
        title="Remove a reference photo",
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False),
    )
    @coach_errors
    async def remove_reference_photo(
        photo_id: Annotated[str, Field(description="From add_reference_photo or list_reference_photos.")],
    ) -> RemovePhotoResult:
        """Delete one reference photo (and its face crop) for good; returns how many are left."""
        remaining = await app.photos.remove(acting_user(app), photo_id)
        message = f"Removed reference photo {photo_id}; {remaining} left."
        return RemovePhotoResult(removed_photo_id=photo_id, photo_count=remaining, message=message)
