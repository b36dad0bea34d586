"""App-only tools (`_meta.ui.visibility: ["app"]`): what the pages show, with small inline previews.

Only clients that advertise the apps extension list or call them (see gate.py). Images travel as
small JPEG data URLs inside the structured result, so the pages need no network origin at all.
"""

from __future__ import annotations

import base64
import contextlib
from typing import Annotated, Any

import anyio.to_thread
from mcp.server.apps import Apps
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from storage import KeyNotFound
from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.dogs.cache import preview_key
from tool_server.dogs.jobs import job_names
from tool_server.generation.images import preview_jpeg
from tool_server.tools.boundary import coach_errors
from tool_server.tools.results import tool_result
from tool_server.userdata import keys
from tool_server.userdata.models import ImageRecord

READ = ToolAnnotations(read_only_hint=True)
THUMB_SIDE = 192
REVIEW_IMAGES = 6
REFINE_TOOL = "refine_identity_image"


class PhotoCard(BaseModel):
    photo_id: str
    verdict: str | None
    reasons: list[str]
    image: str


class PhotosState(BaseModel):
    photos: list[PhotoCard]
    max_photos: int


class ReviewImage(BaseModel):
    image_id: str
    likeness: dict[str, Any] | None
    image: str


class ReviewState(BaseModel):
    identity_id: str
    name: str
    current_image_id: str | None
    accepted_image_id: str | None
    refine: bool = Field(description="Whether refine_identity_image exists on this server.")
    images: list[ReviewImage]


class DogCard(BaseModel):
    job: str
    needs_review: bool | None = None
    image: str | None = None


class DogsState(BaseModel):
    jobs: list[DogCard]


async def data_url(data: bytes, side: int) -> str:
    jpeg = await anyio.to_thread.run_sync(lambda: preview_jpeg(data, max_side=side))
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


def register(apps: Apps, server: MCPServer[Any], app: AppContext, uris: dict[str, str]) -> None:
    @apps.tool(resource_uri=uris["photos"], visibility=["app"], annotations=READ)
    @coach_errors
    async def app_reference_photos() -> CallToolResult:
        """The user's reference photos with verdicts and face-crop thumbnails (for the photos app)."""
        user = acting_user(app)
        cards = []
        for record in (await app.photos.index(user)).photos:
            quality = record.quality or {}
            data = await app.blobs.get(record.face_crop_key or record.key)
            cards.append(
                PhotoCard(
                    photo_id=record.photo_id,
                    verdict=quality.get("verdict"),
                    reasons=list(quality.get("reasons", [])),
                    image=await data_url(data, THUMB_SIDE),
                )
            )
        state = PhotosState(photos=cards, max_photos=app.photos.max_photos)
        return tool_result(state, f"{len(cards)} reference photo(s).")

    @apps.tool(resource_uri=uris["review"], visibility=["app"], annotations=READ)
    @coach_errors
    async def app_identity_review(
        identity_id: Annotated[str, Field(description="The identity to review.")],
    ) -> CallToolResult:
        """An identity's latest images with likeness and previews (for the review app)."""
        user = acting_user(app)
        identity = await app.identities.get(user, identity_id)
        images = []
        for image_id in reversed(identity.image_ids[-REVIEW_IMAGES:]):
            record = await app.docs.read(keys.image_record(user, image_id), ImageRecord)
            if record is None:
                continue
            preview = await data_url(await app.blobs.get(record.key), 512)
            images.append(ReviewImage(image_id=image_id, likeness=record.likeness, image=preview))
        names = {tool.name for tool in await server.list_tools()}
        state = ReviewState(
            identity_id=identity.identity_id,
            name=identity.name,
            current_image_id=identity.current_image_id,
            accepted_image_id=identity.accepted_image_id,
            refine=REFINE_TOOL in names,
            images=images,
        )
        return tool_result(state, f"{len(images)} image(s) of {identity.name}.")

    @apps.tool(resource_uri=uris["dogs"], visibility=["app"], annotations=READ)
    @coach_errors
    async def app_dog_avatars() -> CallToolResult:
        """The 20 jobs with their cached dog avatar thumbnails (none where not made yet)."""
        cards = []
        for job in (name for name in job_names() if name != "default"):
            record = await app.dogs.peek(job)
            if record is None:
                cards.append(DogCard(job=job))
                continue
            data = None
            with contextlib.suppress(KeyNotFound):
                data = await app.blobs.get(preview_key(record.image_key))
            data = data or await app.blobs.get(record.image_key)
            cards.append(
                DogCard(job=job, needs_review=record.needs_review, image=await data_url(data, THUMB_SIDE))
            )
        cached = sum(card.image is not None for card in cards)
        return tool_result(DogsState(jobs=cards), f"{cached} of {len(cards)} dog avatars cached.")
