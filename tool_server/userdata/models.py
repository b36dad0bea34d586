"""The documents stored per user: photos, body profile, identities, images."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Gender = Literal["man", "woman", "non_binary_other"]
Height = Literal["short", "below_average", "average", "above_average", "tall"]
Build = Literal["slim", "athletic", "average", "curvy_stocky", "plus_size"]
SkinTone = Literal["light", "medium_light", "medium", "medium_dark", "dark"]

PROFILE_FIELDS = ("gender", "height", "build", "skin_tone")


def now() -> datetime:
    return datetime.now(UTC)


class PhotoRecord(BaseModel):
    """A reference photo: stored upright, re-encoded, without metadata."""

    photo_id: str
    key: str
    filename: str | None = None
    created_at: datetime = Field(default_factory=now)
    width: int
    height: int
    size_bytes: int
    sha256: str
    source_format: str
    # Filled by face analysis at ingest (quality verdict, crop, embedding).
    face_crop_key: str | None = None
    face_box: dict[str, int] | None = None
    quality: dict[str, Any] | None = None
    embedding: list[float] | None = None


class PhotoIndex(BaseModel):
    """The user's reference photos in upload order; the first is the primary photo."""

    photos: list[PhotoRecord] = Field(default_factory=list)

    def find(self, photo_id: str) -> PhotoRecord | None:
        return next((p for p in self.photos if p.photo_id == photo_id), None)


class BodyProfile(BaseModel):
    """Answers used to draw a generic body before the face swap (seed attempt 3)."""

    gender: Gender | None = None
    height: Height | None = None
    build: Build | None = None
    skin_tone: SkinTone | None = None
    updated_at: datetime | None = None

    def missing(self) -> list[str]:
        return [name for name in PROFILE_FIELDS if getattr(self, name) is None]

    def is_complete(self) -> bool:
        return not self.missing()


class Identity(BaseModel):
    """An "I am" identity and its visualization text, plus the images made for it."""

    identity_id: str
    name: str
    visualization: str
    i_am_statement: str | None = None
    created_at: datetime = Field(default_factory=now)
    updated_at: datetime = Field(default_factory=now)
    current_image_id: str | None = None
    accepted_image_id: str | None = None
    image_ids: list[str] = Field(default_factory=list)


class ImageRecord(BaseModel):
    """A generated image the user owns (identity image, avatar, swap result)."""

    image_id: str
    key: str
    name: str | None = Field(None, description="Self-explanatory file name, e.g. for avatars.")
    mime_type: str
    width: int
    height: int
    kind: Literal["identity", "avatar_headshot", "avatar_fullbody", "face_swap"]
    created_at: datetime = Field(default_factory=now)
    run_id: str | None = None
    identity_id: str | None = None
    provider: str | None = None
    model: str | None = None
    likeness: dict[str, Any] | None = None
    parent_image_id: str | None = Field(None, description="The image this one refines.")
    instruction: str | None = Field(None, description="The refine instruction that made it from its parent.")


class AvatarEntry(BaseModel):
    """One avatar candidate: a headshot and the full-body shot made from it (seed attempt 2)."""

    avatar_id: str
    number: int
    provider: str
    headshot_image_id: str
    fullbody_image_id: str | None = None
    headshot_name: str
    fullbody_name: str | None = None
    likeness: dict[str, Any] | None = None
    fullbody_likeness: dict[str, Any] | None = None
    run_id: str | None = None
    created_at: datetime = Field(default_factory=now)

    @property
    def passed(self) -> bool:
        """The headshot (the reference identity images use) passed the likeness check."""
        return bool(self.likeness and self.likeness.get("passed"))


class AvatarIndex(BaseModel):
    avatars: list[AvatarEntry] = Field(default_factory=list)
    approved_avatar_id: str | None = None
    next_number: int = Field(1, description="The next file number; numbers are reserved before saving.")

    def find(self, avatar_id: str) -> AvatarEntry | None:
        return next((a for a in self.avatars if a.avatar_id == avatar_id), None)

    def approved(self) -> AvatarEntry | None:
        return self.find(self.approved_avatar_id) if self.approved_avatar_id else None
