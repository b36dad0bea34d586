"""Scopes and the acting user a token subject names (light: no PyJWT, so stdio start-up skips it)."""

from __future__ import annotations

import hashlib
import re

READ_SCOPE = "images:read"
WRITE_SCOPE = "images:write"

_STORAGE_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
# The shape of a hashed id. Case-insensitive, so no subject collides on a case-folding file system.
_HASHED = re.compile(r"sub-[0-9a-f]{40}", re.IGNORECASE)


def user_for_subject(subject: str) -> str:
    """The acting user id (a storage key segment) for a token's `sub`; no two subjects share one.

    A subject that is already a safe key segment is used as it is; any other (e.g. `auth0|123`)
    becomes `sub-` + a SHA-256 prefix, stable across tokens and unable to escape the user's prefix.
    A safe subject shaped like a hashed id is hashed too: used as it is, it would be that user.
    """
    if _STORAGE_SAFE.fullmatch(subject) and ".." not in subject and not _HASHED.fullmatch(subject):
        return subject
    return "sub-" + hashlib.sha256(subject.encode("utf-8")).hexdigest()[:40]
