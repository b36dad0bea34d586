"""Object keys: `/`-separated segments of safe characters, so nothing escapes a store's root."""

from __future__ import annotations

import re

from storage.errors import InvalidKey

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@=-]{0,127}")
MAX_KEY_LENGTH = 512


def check_key(key: str) -> str:
    """Return `key` unchanged if it is safe, else raise InvalidKey."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidKey(f"invalid storage key {key!r}: empty or longer than {MAX_KEY_LENGTH} characters")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment) or ".." in segment:
            raise InvalidKey(f"invalid storage key {key!r}: segment {segment!r} is not allowed")
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty, or a key optionally ending in `/`."""
    if prefix == "":
        return prefix
    check_key(prefix.rstrip("/"))
    return prefix


def is_safe_segment(value: str) -> bool:
    """True when `value` can stand as one key segment (used to validate ids from tool arguments)."""
    return isinstance(value, str) and bool(_SEGMENT.fullmatch(value)) and ".." not in value
