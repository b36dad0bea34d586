"""The application context: every backend a tool uses, built once at startup and passed in."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from storage import BlobStore, Documents, open_backend
from tool_server.auth.setup import server_base_url
from tool_server.auth.signed_urls import UrlSigner, signing_key
from tool_server.dogs.service import DogAvatarService, alpha_from_capabilities
from tool_server.faces import FaceAnalyzer
from tool_server.imaging.decode import DecodeLimits
from tool_server.providers import ProviderRegistry
from tool_server.quotas import DailyBudget, UserRateLimiter
from tool_server.redaction import register_secrets
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
    rate_limiter: UserRateLimiter
    budget: DailyBudget
    # Signs /files/ links for local storage on the HTTP transport (None: stdio).
    url_signer: UrlSigner | None = None
    dogs: DogAvatarService = field(init=False)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # One dog service per process, so the tool, the HTTP route and the CLI share its single flight.
        # Providers and URLs are looked up on each call: both may be replaced after construction
        # (a registry in tests; signed HTTP URLs on the HTTP transport).
        self.dogs = DogAvatarService(
            self.blobs,
            lambda name: self.providers.guarded(name),
            self.settings,
            supports_transparency=alpha_from_capabilities,
            url_for=lambda key: self.url_for(key),
        )

    async def url_for(self, key: str) -> str:
        """A URL the user can open for a stored object.

        S3: presigned. Local storage: a signed, expiring `/files/...` link on HTTP, file:// on stdio.
        """
        if self.url_signer is not None and self.blobs.location.startswith("file://"):
            return self.url_signer.url(key, self.settings.url_expiry_s)
        return await self.blobs.url(key, self.settings.url_expiry_s)


def build_app(
    settings: Settings, transport: Transport = "stdio", blobs: BlobStore | None = None
) -> AppContext:
    """Wire the backends named by `settings` (nothing heavy is imported here)."""
    register_secrets(settings)
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
    runs = RunStore(blobs, docs)
    providers = ProviderRegistry(settings, face_swapper=faces.swap_bytes)
    budget = DailyBudget(runs, docs, settings.daily_budget_usd)
    providers.spend_guard = budget
    signer = UrlSigner(signing_key(settings), server_base_url(settings)) if transport == "http" else None
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
        providers=providers,
        runs=runs,
        jobs=JobRunner(),
        rate_limiter=UserRateLimiter(settings.rate_limit),
        budget=budget,
        url_signer=signer,
    )
