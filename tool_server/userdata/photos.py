"""Reference photos: ingest (decode, analyse, store), list, remove. Bad input never touches storage."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import anyio.to_thread
from PIL import Image

from storage import BlobStore, Documents
from tool_server.errors import InvalidInput, LimitExceeded, NotFound
from tool_server.ids import check_id, new_id
from tool_server.imaging.decode import DecodeLimits, decode_untrusted, encode_jpeg
from tool_server.userdata import keys
from tool_server.userdata.models import PhotoIndex, PhotoRecord


@dataclass(frozen=True)
class FaceFindings:
    """What face analysis found in a new photo (the seam the faces module fills)."""

    quality: dict[str, Any]
    verdict: str
    face_box: dict[str, int] | None
    face_crop_jpeg: bytes | None
    embedding: list[float] | None


# Given the upright photo and an optional explicit crop, returns findings (runs in a worker thread).
FaceInspector = Callable[[Image.Image, dict[str, int] | None], FaceFindings]


class FaceMatcher(Protocol):
    """Compares face embeddings (the face analyzer is one); keeps a user's references one person."""

    threshold: float

    def distance_to(self, embedding: Sequence[float], references: Sequence[Sequence[float]]) -> float: ...

    def odd_references(self, embeddings: Sequence[Sequence[float]]) -> list[int]: ...


def _not_the_same_person(distance: float, threshold: float) -> InvalidInput:
    return InvalidInput(
        f"This doesn't look like the same person as the user's other photos (face distance {distance:.2f}; "
        f"the same person is within {threshold:.2f}). Nothing was saved. If those earlier photos aren't "
        "the user, remove them with remove_reference_photo, then add this one again."
    )


class PhotoLibrary:
    def __init__(
        self,
        blobs: BlobStore,
        docs: Documents,
        limits: DecodeLimits,
        max_photos: int,
        inspect_faces: FaceInspector | None = None,
        match_faces: FaceMatcher | None = None,
    ) -> None:
        self.blobs = blobs
        self.docs = docs
        self.limits = limits
        self.max_photos = max_photos
        self.inspect_faces = inspect_faces
        self.match_faces = match_faces

    async def mismatched(self, index: PhotoIndex) -> list[str]:
        """Ids of the photos that show somebody else than the rest (empty: the set is one person)."""
        matcher = self.match_faces
        with_faces = [p for p in index.photos if p.embedding]
        if matcher is None or len(with_faces) < 2:
            return []
        odd = await anyio.to_thread.run_sync(
            lambda: matcher.odd_references([p.embedding or [] for p in with_faces])
        )
        return [with_faces[i].photo_id for i in odd]

    async def _check_same_person(self, embedding: list[float] | None, index: PhotoIndex) -> None:
        matcher = self.match_faces
        known = [p.embedding for p in index.photos if p.embedding]
        if matcher is None or embedding is None or not known:
            return
        distance = await anyio.to_thread.run_sync(lambda: matcher.distance_to(embedding, known))
        if distance > matcher.threshold:
            raise _not_the_same_person(distance, matcher.threshold)

    async def index(self, user: str) -> PhotoIndex:
        return await self.docs.read(keys.photo_index(user), PhotoIndex) or PhotoIndex()

    async def get(self, user: str, photo_id: str) -> PhotoRecord:
        check_id(photo_id, "reference photo", prefix="photo_")
        record = (await self.index(user)).find(photo_id)
        if record is None:
            raise NotFound(
                f"No reference photo with id {photo_id!r}. Call list_reference_photos to see them."
            )
        return record

    async def add(
        self, user: str, data: bytes, filename: str | None = None, crop: dict[str, int] | None = None
    ) -> tuple[PhotoRecord, FaceFindings | None, int]:
        """Store a new photo; returns its record, the face findings and the new photo count."""
        current = await self.index(user)
        self._check_room(current)
        decoded = await anyio.to_thread.run_sync(lambda: decode_untrusted(data, self.limits))
        jpeg = await anyio.to_thread.run_sync(lambda: encode_jpeg(decoded.image))
        stored_digest = hashlib.sha256(jpeg).hexdigest()
        if any(p.sha256 == stored_digest for p in current.photos):
            raise InvalidInput("This photo is already saved. Ask the user for a different photo.")
        findings = None
        if self.inspect_faces is not None:
            inspect = self.inspect_faces
            findings = await anyio.to_thread.run_sync(lambda: inspect(decoded.image, crop))
            if findings.verdict == "reject":
                reasons = "; ".join(findings.quality.get("reasons", [])) or "no usable face"
                raise InvalidInput(f"This photo cannot be used as a reference: {reasons}. Nothing was saved.")
            await self._check_same_person(findings.embedding, current)
        elif crop is not None:
            raise InvalidInput("crop needs face analysis, which is not available on this server.")

        photo_id = new_id("photo")
        record = PhotoRecord(
            photo_id=photo_id,
            key=keys.photo(user, photo_id),
            filename=_clean_filename(filename),
            width=decoded.image.width,
            height=decoded.image.height,
            size_bytes=len(jpeg),
            sha256=stored_digest,
            source_format=decoded.source_format,
        )
        written = [record.key]
        try:
            await self.blobs.put(record.key, jpeg, content_type="image/jpeg")
            if findings is not None:
                record.quality = findings.quality
                record.face_box = findings.face_box
                record.embedding = findings.embedding
                if findings.face_crop_jpeg is not None:
                    record.face_crop_key = keys.photo_face_crop(user, photo_id)
                    written.append(record.face_crop_key)
                    await self.blobs.put(
                        record.face_crop_key, findings.face_crop_jpeg, content_type="image/jpeg"
                    )

            checked = {p.photo_id for p in current.photos}

            def append(index: PhotoIndex | None) -> PhotoIndex:
                index = index or PhotoIndex()
                self._check_room(index)
                self._recheck(record, index, checked)
                return PhotoIndex(photos=[*index.photos, record])

            updated = await self.docs.update(keys.photo_index(user), PhotoIndex, append)
        except BaseException:
            with anyio.CancelScope(shield=True):
                for key in written:
                    await self.blobs.delete(key)
            raise
        return record, findings, len(updated.photos)

    def _recheck(self, record: PhotoRecord, index: PhotoIndex, checked: set[str]) -> None:
        """A photo added meanwhile by a concurrent call must be the same person too (cheap, no I/O)."""
        matcher = self.match_faces
        added = [p.embedding for p in index.photos if p.photo_id not in checked and p.embedding]
        if matcher is None or record.embedding is None or not added:
            return
        distance = matcher.distance_to(record.embedding, [p.embedding for p in index.photos if p.embedding])
        if distance > matcher.threshold:
            raise _not_the_same_person(distance, matcher.threshold)

    def _check_room(self, index: PhotoIndex) -> None:
        if len(index.photos) >= self.max_photos:
            raise LimitExceeded(
                f"The user already has {len(index.photos)} reference photos (the most kept is "
                f"{self.max_photos}). Remove one with remove_reference_photo, then add the new one."
            )

    async def remove(self, user: str, photo_id: str) -> int:
        record = await self.get(user, photo_id)

        def drop(index: PhotoIndex | None) -> PhotoIndex:
            index = index or PhotoIndex()
            if index.find(photo_id) is None:
                raise NotFound(f"No reference photo with id {photo_id!r}. Call list_reference_photos.")
            return PhotoIndex(photos=[p for p in index.photos if p.photo_id != photo_id])

        updated = await self.docs.update(keys.photo_index(user), PhotoIndex, drop)
        for key in (record.key, record.face_crop_key):
            if key:
                await self.blobs.delete(key)
        return len(updated.photos)


def _clean_filename(filename: str | None) -> str | None:
    if not filename:
        return None
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in name if ch.isprintable())[:120] or None
