"""The application context: every backend a tool uses, built once at startup and passed in."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from storage import BlobStore, Documents, open_backend
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

if TYPE_CHECKING:
    from tool_server.auth.signed_urls import UrlSigner
    from tool_server.dogs.service import DogAvatarService

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
    extras: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def dogs(self) -> DogAvatarService:
        """One dog service per app, so the tool, the HTTP route and the CLI share its single flight.

        Built on first use (its imagery code is not needed to start). Providers and URLs are looked
        up on each call: both may be replaced after construction (a registry in tests).
        """
        from tool_server.dogs.runs import dog_run_log
        from tool_server.dogs.service import DogAvatarService, alpha_from_capabilities

        return DogAvatarService(
            self.blobs,
            lambda name: self.providers.guarded(name),
            self.settings,
            supports_transparency=alpha_from_capabilities,
            url_for=lambda key: self.url_for(key),
            run_log=dog_run_log(self.runs),
        )

    async def url_for(self, key: str, *, not_after: int | None = None) -> str:
        """A URL the user can open for a stored object, expiring no later than `not_after` (unix time).

        S3: presigned. Local storage: a signed, expiring `/files/...` link on HTTP, file:// on stdio.
        """
        if self.url_signer is not None and self.blobs.location.startswith("file://"):
            return self.url_signer.url(key, self.settings.url_expiry_s, not_after=not_after)
        expires_in = self.settings.url_expiry_s
        if not_after is not None:  # a presigned URL counts from the current whole second
            expires_in = max(0, min(expires_in, not_after - math.ceil(time.time())))
        return await self.blobs.url(key, expires_in)


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
    signer = None
    if transport == "http":
        from tool_server.auth.setup import server_base_url
        from tool_server.auth.signed_urls import UrlSigner, signing_key

        signer = UrlSigner(signing_key(settings), server_base_url(settings))
    return AppContext(
        settings=settings,
        transport=transport,
        blobs=blobs,
        docs=docs,
        photos=PhotoLibrary(
            blobs,
            docs,
            limits,
            settings.max_reference_photos,
            inspect_faces=face_inspector(faces),
            match_faces=faces,
        ),
        profiles=ProfileStore(docs),
        identities=IdentityStore(docs, settings.max_identities),
        faces=faces,
        providers=providers,
        runs=runs,
        jobs=JobRunner(),
        rate_limiter=UserRateLimiter(settings.rate_limit),
        budget=budget,
        url_signer=signer,
    )
