"""The user's reference material for a generation: face crops first, then the full photos."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from tool_server.app import AppContext
from tool_server.errors import PreconditionMissing
from tool_server.providers.base import ReferenceImage
from tool_server.userdata.models import PhotoIndex

MAX_REFERENCE_IMAGES = 10


@dataclass
class UserReferences:
    face_crops: list[ReferenceImage] = field(default_factory=list)
    photos: list[ReferenceImage] = field(default_factory=list)
    embeddings: list[list[float]] = field(default_factory=list)
    photo_ids: list[str] = field(default_factory=list)

    def for_edit(self) -> tuple[ReferenceImage, ...]:
        """Face crops first (the seed's face-cropped references), then the whole photos."""
        return tuple([*self.face_crops, *self.photos][:MAX_REFERENCE_IMAGES])

    def hashes(self) -> list[str]:
        return [hashlib.sha256(r.data).hexdigest()[:16] for r in (*self.face_crops, *self.photos)]

    def run_inputs(self, likeness_threshold: float) -> dict[str, object]:
        """What a run record says of the references: which photos, their hashes, the likeness bar."""
        return {
            "reference_photo_ids": self.photo_ids,
            "reference_hashes": self.hashes(),
            "likeness_threshold": likeness_threshold,
        }


async def load_references(app: AppContext, user: str, photo_ids: list[str] | None = None) -> UserReferences:
    """Read the photos (all, or the chosen ones) or explain what the coach must do first."""
    index = await app.photos.index(user)
    records = index.photos
    if photo_ids:
        records = [await app.photos.get(user, photo_id) for photo_id in photo_ids]
    odd = await app.photos.mismatched(PhotoIndex(photos=records))
    if odd:
        raise PreconditionMissing(
            f"The reference photos show different people ({', '.join(odd)} don't match the others), so "
            "no image could be checked for likeness. Ask the user which photos are not them, remove "
            "those with remove_reference_photo, then try again. Nothing was generated."
        )
    if not records:
        raise PreconditionMissing(
            "No reference photo yet: guide the user to upload a clear photo of their face with "
            "add_reference_photo, then try again. Nothing was generated."
        )
    refs = UserReferences()
    for record in records:
        refs.photo_ids.append(record.photo_id)
        refs.photos.append(
            ReferenceImage(await app.blobs.get(record.key), "image/jpeg", f"{record.photo_id}.jpg")
        )
        if record.face_crop_key:
            crop = await app.blobs.get(record.face_crop_key)
            refs.face_crops.append(ReferenceImage(crop, "image/jpeg", f"{record.photo_id}_face.jpg"))
        if record.embedding:
            refs.embeddings.append(record.embedding)
    if not refs.embeddings:
        raise PreconditionMissing(
            "None of the reference photos shows a usable face, so likeness cannot be measured. Ask the "
            "user for a clear, well-lit photo of their face with add_reference_photo."
        )
    return refs
