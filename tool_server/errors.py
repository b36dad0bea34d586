"""The project's exceptions. Every message says what happened and what the coach should do next.

    ToolServerError
    ├── InvalidInput            bad arguments or a bad image: fix the input and call again
    │   └── LimitExceeded       a cap (photo count, size, candidates, budget) was reached
    ├── NotFound                no such photo, identity, image or run for this user
    ├── PreconditionMissing     something must exist first (a photo, a complete profile, an avatar)
    ├── NotAuthorized           the bearer token is missing, or lacks the scope the call needs
    ├── ProviderError           the image provider failed
    │   ├── ProviderBlocked     the content was refused by a safety system: rephrase, never retry as is
    │   ├── ProviderUnavailable down, timed out or rate limited: try later or another provider
    │   ├── ProviderAccountError out of quota, billing, a refused key or access: the operator must fix it
    │   └── ProviderRejected    the provider refused a parameter (names it)
    └── ConfigError             the server's own settings are wrong (startup)

    storage.StorageError        (from the storage package, re-exported here)
    ├── KeyNotFound             no object under that key
    ├── InvalidKey              a key that could escape its root or is malformed
    └── ConflictError           a concurrent writer changed a document first (retried internally)

Tools convert all of these to MCP `ToolError` at the boundary (`tool_server.tools.boundary`).
"""

from __future__ import annotations

from storage.errors import ConflictError, InvalidKey, KeyNotFound, StorageError

__all__ = [
    "ConfigError",
    "ConflictError",
    "InvalidInput",
    "InvalidKey",
    "KeyNotFound",
    "LimitExceeded",
    "NotAuthorized",
    "NotFound",
    "PreconditionMissing",
    "ProviderAccountError",
    "ProviderBlocked",
    "ProviderError",
    "ProviderRejected",
    "ProviderUnavailable",
    "StorageError",
    "ToolServerError",
]


class ToolServerError(Exception):
    """Base of every error the coach may read."""


class InvalidInput(ToolServerError):
    """The arguments or the image are not usable."""


class LimitExceeded(InvalidInput):
    """A configured cap was reached."""


class NotFound(ToolServerError):
    """The thing asked for does not exist for the acting user."""


class NotAuthorized(ToolServerError):
    """The connection's token does not allow this call."""


class PreconditionMissing(ToolServerError):
    """Something must be done first."""


class ProviderError(ToolServerError):
    """The image provider failed."""

    def __init__(self, message: str, *, provider: str = "", retryable: bool = False) -> None:
        super().__init__(message)
        self.provider = provider
        self.retryable = retryable


class ProviderBlocked(ProviderError):
    """A safety system refused the prompt or the output."""


class ProviderUnavailable(ProviderError):
    """The provider cannot serve now (down, timeout, rate limit, no key)."""


class ProviderAccountError(ProviderError):
    """The provider account cannot serve (quota, billing, key, access) until the operator fixes it.

    Not "unavailable": waiting does not help, and it never ends in the offline provider's composite.
    """


class ProviderRejected(ProviderError):
    """The provider refused a parameter or the request."""


class ConfigError(ToolServerError):
    """A setting is wrong; raised at startup."""
