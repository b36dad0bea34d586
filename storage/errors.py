"""Storage errors. `tool_server.errors` re-exports them for the tool boundary."""

from __future__ import annotations


class StorageError(Exception):
    """The storage backend failed; the message says whether a retry may help."""


class KeyNotFound(StorageError):
    """No object is stored under the key."""


class InvalidKey(StorageError):
    """The key is malformed or could escape the store's root."""


class ConflictError(StorageError):
    """A conditional write lost: another writer changed the object first."""
