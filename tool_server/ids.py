"""Identifiers: a type prefix and a time-sortable random part, e.g. `photo_01jd3k...`."""

from __future__ import annotations

import re
import secrets
import time

from tool_server.errors import InvalidInput, NotFound

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def new_id(prefix: str) -> str:
    """`{prefix}_` + 10 chars of milliseconds + 10 random chars: sorts by creation time."""
    millis = time.time_ns() // 1_000_000
    stamp = "".join(_ALPHABET[(millis >> shift) & 31] for shift in range(45, -1, -5))
    rand = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{prefix}_{stamp}{rand}"


def check_id(value: str, what: str, *, prefix: str | None = None) -> str:
    """Validate an id taken from a tool argument; a malformed one is reported as not found."""
    well_formed = isinstance(value, str) and _CLIENT_ID.fullmatch(value) is not None
    if not well_formed or (prefix and not value.startswith(prefix)):
        raise NotFound(f"No {what} with id {_shown(value)}. {_LIST_HINTS.get(what, '')}".rstrip())
    return value


def _shown(value: object, limit: int = 40) -> str:
    """A malformed id as quoted in an error: never the whole of an arbitrarily long argument."""
    text = str(value)
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text)} characters)"


def check_new_identity_id(value: str) -> str:
    if not _CLIENT_ID.fullmatch(value):
        raise InvalidInput(
            "identity_id must be 1-64 letters, digits, '-' or '_' (for example a UUID); "
            "leave it out to create a new identity."
        )
    return value


_LIST_HINTS = {
    "reference photo": "Call list_reference_photos to see the user's photos.",
    "identity": "Call save_identity to create it, or list_identities to see the saved ones.",
    "image": "Use an image_id returned by generate_identity_image or list_identities.",
    "run": "Use a run_id an image tool returned.",
    "avatar": "Call generate_avatar first, then use one of the avatar_ids it returns.",
}
