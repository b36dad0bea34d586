"""Blob and document storage: a local directory by default, S3 at scale.

`open_store(url)` picks the backend from one setting: a directory path or `file://` URL, or
`s3://bucket/prefix`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from storage.base import BlobStore, StoredObject, SyncBlobStore, content_etag
from storage.documents import Documents
from storage.errors import ConflictError, InvalidKey, KeyNotFound, StorageError
from storage.keys import check_key, is_safe_segment

__all__ = [
    "BlobStore",
    "ConflictError",
    "Documents",
    "InvalidKey",
    "KeyNotFound",
    "StorageError",
    "StoredObject",
    "SyncBlobStore",
    "check_key",
    "content_etag",
    "is_safe_segment",
    "open_backend",
    "open_store",
]


def open_backend(url: str, *, s3_endpoint_url: str | None = None) -> SyncBlobStore:
    """The blocking backend named by `url`."""
    if url.startswith("s3://"):
        from storage.s3 import S3BlobStore

        parsed = urlparse(url)
        if not parsed.netloc:
            raise StorageError(f"{url!r} names no bucket: use s3://bucket/prefix")
        return S3BlobStore(parsed.netloc, parsed.path, endpoint_url=s3_endpoint_url)
    from storage.local import LocalBlobStore

    path = Path(unquote(urlparse(url).path)) if url.startswith("file://") else Path(url)
    return LocalBlobStore(path)


def open_store(url: str, *, s3_endpoint_url: str | None = None) -> BlobStore:
    """The async store named by `url`."""
    return BlobStore(open_backend(url, s3_endpoint_url=s3_endpoint_url))
