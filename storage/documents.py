"""JSON documents (pydantic models) on a blob store, updated with optimistic concurrency.

Every update reads the document with its etag, applies a pure function and writes back only if
the etag is unchanged (S3 `IfMatch`, a lock and version check locally); on conflict it re-reads
and re-applies. Two server processes sharing a bucket or directory never lose an update.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
from pydantic import BaseModel, ValidationError

from storage.base import BlobStore
from storage.errors import ConflictError, KeyNotFound, StorageError

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

MAX_UPDATE_ATTEMPTS = 12
MAX_BACKOFF_S = 0.2


class Documents:
    """Typed JSON documents stored as objects of a `BlobStore`."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    async def read(self, key: str, model: type[M]) -> M | None:
        doc, _ = await self._read_versioned(key, model)
        return doc

    async def _read_versioned(self, key: str, model: type[M]) -> tuple[M | None, str | None]:
        try:
            stored = await self.blobs.get_object(key)
        except KeyNotFound:
            return None, None
        try:
            return model.model_validate_json(stored.data), stored.etag
        except ValidationError as exc:
            raise StorageError(
                f"the stored document {key} is unreadable: {exc.error_count()} errors"
            ) from exc

    async def write(self, key: str, doc: BaseModel) -> None:
        """Unconditional write (for documents with a single writer, such as run records)."""
        await self.blobs.put(key, _encode(doc), content_type="application/json")

    async def update(
        self,
        key: str,
        model: type[M],
        change: Callable[[M | None], M | Awaitable[M]],
    ) -> M:
        """Apply `change` to the current document and store it, retrying on concurrent writes.

        `change` may raise to abort (nothing is written). It may run several times.
        """
        doc, _ = await self.update_with(key, model, lambda current: _pair(change, current))
        return doc

    async def update_with(
        self,
        key: str,
        model: type[M],
        change: Callable[[M | None], Awaitable[tuple[M, R]]],
    ) -> tuple[M, R]:
        """Like `update`, but `change` also returns a value handed back to the caller."""
        for attempt in range(MAX_UPDATE_ATTEMPTS):
            current, etag = await self._read_versioned(key, model)
            new_doc, extra = await change(current)
            try:
                if etag is None:
                    await self.blobs.put(
                        key, _encode(new_doc), content_type="application/json", if_none_match=True
                    )
                else:
                    await self.blobs.put(
                        key, _encode(new_doc), content_type="application/json", if_match=etag
                    )
                return new_doc, extra
            except ConflictError:
                # Jittered backoff keeps two busy writers from colliding in lock step; capped, so a
                # document that keeps changing fails the call in about a second, not twenty.
                await anyio.sleep(random.uniform(0, min(MAX_BACKOFF_S, 0.005 * (2**attempt))))
        raise ConflictError(
            f"{key} kept changing under {MAX_UPDATE_ATTEMPTS} concurrent writers; retry the call"
        )

    async def delete(self, key: str) -> None:
        await self.blobs.delete(key)


async def _pair(change: Callable[[M | None], M | Awaitable[M]], current: M | None) -> tuple[M, None]:
    result = change(current)
    if isinstance(result, Awaitable):
        result = await result
    return result, None


def _encode(doc: BaseModel) -> bytes:
    return doc.model_dump_json(indent=2).encode()
