"""The blob store contract shared by every backend, and the async facade the server uses."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import anyio.to_thread

T = TypeVar("T")


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    etag: str


def content_etag(data: bytes) -> str:
    """The etag a local store gives `data` (S3 gives single-part objects the same MD5)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class SyncBlobStore(Protocol):
    """A backend: blocking calls, run in worker threads by `BlobStore`.

    `put` with `if_none_match=True` creates only; with `if_match=etag` replaces only that version.
    A lost condition raises ConflictError; a missing key raises KeyNotFound.
    """

    location: str

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str: ...

    def get(self, key: str) -> StoredObject: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def list(self, prefix: str) -> list[str]: ...

    def url(self, key: str, expires_in: int) -> str: ...


class BlobStore:
    """Async facade: every backend call runs in an anyio worker thread, never on the event loop."""

    def __init__(self, backend: SyncBlobStore) -> None:
        self.backend = backend

    @property
    def location(self) -> str:
        return self.backend.location

    async def _run(self, fn: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(fn)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        return await self._run(
            lambda: self.backend.put(
                key, data, content_type=content_type, if_match=if_match, if_none_match=if_none_match
            )
        )

    async def get(self, key: str) -> bytes:
        return (await self._run(lambda: self.backend.get(key))).data

    async def get_object(self, key: str) -> StoredObject:
        return await self._run(lambda: self.backend.get(key))

    async def exists(self, key: str) -> bool:
        return await self._run(lambda: self.backend.exists(key))

    async def delete(self, key: str) -> None:
        await self._run(lambda: self.backend.delete(key))

    async def list(self, prefix: str) -> list[str]:
        return await self._run(lambda: self.backend.list(prefix))

    async def url(self, key: str, expires_in: int) -> str:
        return await self._run(lambda: self.backend.url(key, expires_in))
