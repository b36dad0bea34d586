"""Where a dog avatar is cached: one PNG and one JSON record per (prompt version, model, job, size,
background, base image), in the shared blob store so every server instance sees the same cache.

Keys look like `cache/dog/dog-v2/support.1024x1024.transparent.gpt-image-2.3fa9c1d2e4b5.png`.
Storage keys allow letters, digits and `. - @ =` only, hence dots rather than underscores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from storage import BlobStore, Documents, check_key
from tool_server.dogs.checks import ValidationCheck

AvatarBackground = Literal["transparent", "white"]

CACHE_PREFIX = "cache/dog"
HASH_CHARS = 12


@dataclass(frozen=True)
class DogCacheKey:
    prompt_version: str
    model: str
    job: str
    size: str
    background: AvatarBackground
    base_hash: str

    @property
    def stem(self) -> str:
        name = ".".join(
            _segment(part)
            for part in (self.job, self.size, self.background, self.model, self.base_hash[:HASH_CHARS])
        )
        return check_key(f"{CACHE_PREFIX}/{_segment(self.prompt_version)}/{name}")

    @property
    def image_key(self) -> str:
        return f"{self.stem}.png"

    @property
    def record_key(self) -> str:
        return f"{self.stem}.json"


RESOURCE_PREFIX = "coach://dogs/"
_RESOURCE_PART = re.compile(r"[a-z0-9][a-z0-9.-]*")


def resource_uri(image_key: str) -> str:
    """`cache/dog/dog-v2/x.png` -> `coach://dogs/dog-v2/x.png`: the MCP resource of a cached avatar."""
    return RESOURCE_PREFIX + image_key.removeprefix(f"{CACHE_PREFIX}/")


def image_key_for(prompt_version: str, name: str) -> str | None:
    """The cached PNG named by a `coach://dogs/{prompt_version}/{name}` URI, or None if it cannot be one."""
    parts = (prompt_version, name)
    if not name.endswith(".png") or not all(_RESOURCE_PART.fullmatch(p) and ".." not in p for p in parts):
        return None
    return check_key(f"{CACHE_PREFIX}/{prompt_version}/{name}")


def _segment(value: str) -> str:
    """`value` made safe inside one key segment: lower case, runs of other characters become `-`."""
    cleaned = re.sub(r"[^a-z0-9.-]+", "-", value.strip().lower())
    cleaned = re.sub(r"\.{2,}", ".", cleaned).strip(".-")
    return cleaned or "none"


class DogAvatarRecord(BaseModel):
    """The JSON stored beside a cached avatar: how it was made and how it validated."""

    job: str
    size: str
    background: AvatarBackground
    prompt_version: str
    model: str
    provider: str
    base_hash: str
    image_key: str
    prompt: str
    attempts: int
    needs_review: bool
    validation: list[ValidationCheck]
    cost_usd: float = Field(description="What making this image cost (all attempts).")
    created_at: str
    calls: list[dict[str, Any]] = Field(default_factory=list, description="Provider calls, parameters only.")
    retry_error: str | None = None

    @property
    def failed_checks(self) -> list[str]:
        return [check.name for check in self.validation if not check.passed]


async def read_record(blobs: BlobStore, key: DogCacheKey) -> DogAvatarRecord | None:
    """The cached record, or None. The record is written after its image, so a record means a hit."""
    return await Documents(blobs).read(key.record_key, DogAvatarRecord)


def preview_key(image_key: str) -> str:
    """Where the small JPEG preview of a cached avatar is kept (made by the first tool call showing it)."""
    return check_key(image_key.removesuffix(".png") + ".preview.jpg")


async def write_avatar(blobs: BlobStore, key: DogCacheKey, png: bytes, record: DogAvatarRecord) -> None:
    """Store (or replace) the image, then its record: readers never see a record without its image.

    A preview of the image it replaces is dropped first, so no stale preview outlives a regenerate.
    """
    await blobs.delete(preview_key(key.image_key))
    await blobs.put(key.image_key, png, content_type="image/png")
    await Documents(blobs).write(key.record_key, record)
