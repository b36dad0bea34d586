"""Local directory backend: atomic writes (temp file + fsync + rename), per-key locks for conditions."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from storage.base import StoredObject, content_etag
from storage.errors import ConflictError, KeyNotFound, StorageError
from storage.keys import check_key, check_prefix

_LOCK_DIR = ".locks"


class LocalBlobStore:
    """Objects are files under `root`; keys map to relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()
        try:
            (self.root / _LOCK_DIR).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the storage directory {self.root}: {exc.strerror}. "
                "Set COACH_IMAGE_STORAGE_URL to a writable directory."
            ) from exc
        self.location = f"file://{self.root}"

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):  # belt and braces: check_key already forbids this
            raise KeyNotFound(key)
        return path

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        """An exclusive lock on `key` across processes; its lock file exists only while it is held.

        A lock file left behind would outlive the user's data and, named by a hash of a guessable
        key, tell who had used the service. So the holder removes it before unlocking; a waiter
        that then wins the lock on the removed file sees it is no longer the one at the path and
        takes the lock again on a new file.
        """
        path = self.root / _LOCK_DIR / hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
        while True:
            handle = open(path, "a+b")  # noqa: SIM115 (closed below, after the unlock)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
                if _same_file(handle, path):
                    break
            except BaseException:
                handle.close()
                raise
            handle.close()
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> str:
        path = self._path(key)
        if if_match is None and not if_none_match:
            _atomic_write(path, data)
            return content_etag(data)
        with self._locked(key):
            current = _read_or_none(path)
            if if_none_match and current is not None:
                raise ConflictError(f"{key} already exists")
            if if_match is not None and (current is None or content_etag(current) != if_match):
                raise ConflictError(f"{key} was changed by another writer")
            _atomic_write(path, data)
        return content_etag(data)

    def get(self, key: str) -> StoredObject:
        data = _read_or_none(self._path(key))
        if data is None:
            raise KeyNotFound(key)
        return StoredObject(data=data, etag=content_etag(data))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        # Prune empty folders up to the root so listings stay tidy.
        parent = path.parent
        while parent != self.root:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def list(self, prefix: str) -> list[str]:
        check_prefix(prefix)
        start = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not start.is_dir():
            return []
        keys = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for filename in filenames:
                if filename.startswith("."):
                    continue
                key = os.path.relpath(os.path.join(dirpath, filename), self.root).replace(os.sep, "/")
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def url(self, key: str, expires_in: int) -> str:
        # Local files have no expiry; the HTTP transport serves signed URLs instead.
        return self._path(key).as_uri()


def _same_file(handle: BinaryIO, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise StorageError(f"cannot read {path.name}: {exc.strerror}") from exc


def _atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, rename: readers see old or new, never half."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        hint = " The disk is full: free space and retry." if exc.errno == errno.ENOSPC else " Retry later."
        raise StorageError(f"could not write {path.name}: {exc.strerror}.{hint}") from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
