"""The application context: every backend a tool uses, built once at startup and passed in."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from storage import BlobStore, Documents, open_backend
from tool_server.faces import FaceAnalyzer
from tool_server.imaging.decode import DecodeLimits
from tool_server.providers import ProviderRegistry
from tool_server.runs import JobRunner, RunStore
from tool_server.settings import Settings
from tool_server.timing import TimedBlobStore
from tool_server.userdata.face_inspection import face_inspector
from tool_server.userdata.identities import IdentityStore
from tool_server.userdata.photos import PhotoLibrary
from tool_server.userdata.profiles import ProfileStore

Transport = Literal["stdio", "http"]
logger = logging.getLogger(__name__)


@dataclass
class AppContext:
    settings: Settings
    transport: Transport
    blobs: BlobStore
    docs: Documents
    photos: PhotoLibrary
    profiles: ProfileStore
    identities: IdentityStore
    faces: FaceAnalyzer
    providers: ProviderRegistry
    runs: RunStore
    jobs: JobRunner
    extras: dict[str, Any] = field(default_factory=dict)

    async def url_for(self, key: str) -> str:
        """A URL the user can open for a stored object (presigned on S3, file:// locally)."""
        return await self.blobs.url(key, self.settings.url_expiry_s)


def build_app(
    settings: Settings, transport: Transport = "stdio", blobs: BlobStore | None = None
) -> AppContext:
    """Wire the backends named by `settings` (nothing heavy is imported here)."""
    blobs = blobs or TimedBlobStore(
        open_backend(settings.resolved_storage_url(), s3_endpoint_url=settings.s3_endpoint_url)
    )
    docs = Documents(blobs)
    limits = DecodeLimits(
        max_bytes=settings.max_upload_bytes,
        max_megapixels=settings.max_megapixels,
        min_side_px=settings.min_photo_side_px,
    )
    faces = FaceAnalyzer(settings)
    return AppContext(
        settings=settings,
        transport=transport,
        blobs=blobs,
        docs=docs,
        photos=PhotoLibrary(
            blobs, docs, limits, settings.max_reference_photos, inspect_faces=face_inspector(faces)
        ),
        profiles=ProfileStore(docs),
        identities=IdentityStore(docs),
        faces=faces,
        providers=ProviderRegistry(settings, face_swapper=faces.swap_bytes),
        runs=RunStore(blobs, docs),
        jobs=JobRunner(),
    )
