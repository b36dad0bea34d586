"""Signed, expiring URLs for locally stored files on the HTTP transport (HMAC-SHA256).

`/files/{key}?exp={unix time}&sig={hmac}`: the signature covers the key and the expiry, so a link
works only as issued and only until it expires. S3 storage uses presigned URLs instead.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from urllib.parse import quote

from tool_server.settings import Settings

logger = logging.getLogger(__name__)

FILES_PATH = "/files/"
_DERIVATION_LABEL = b"coach-image-tools/url-signing/v1"


def signing_key(settings: Settings) -> bytes:
    """COACH_IMAGE_URL_SIGNING_KEY, else derived from the JWT secret, else random for this process."""
    if settings.url_signing_key and settings.url_signing_key.get_secret_value():
        return settings.url_signing_key.get_secret_value().encode("utf-8")
    if settings.jwt_secret and settings.jwt_secret.get_secret_value():
        secret = settings.jwt_secret.get_secret_value().encode("utf-8")
        return hmac.new(secret, _DERIVATION_LABEL, hashlib.sha256).digest()
    if settings.auth_enabled:
        logger.warning(
            "No COACH_IMAGE_URL_SIGNING_KEY: image links are signed with a random key and stop working "
            "when this process restarts (and on other instances). Set one for stable links."
        )
    return secrets.token_bytes(32)


class UrlSigner:
    def __init__(self, key: bytes, base_url: str, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self._base_url = base_url.rstrip("/")
        self._clock = clock

    def now(self) -> float:
        return self._clock()

    def _signature(self, key: str, expires: int) -> str:
        message = f"{key}\n{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _expiry(self, expires_in: int, not_after: int | None) -> int:
        expires = int(self._clock()) + expires_in
        return expires if not_after is None else min(expires, not_after)

    def url(self, key: str, expires_in: int, *, not_after: int | None = None) -> str:
        """A signed `/files/` link; `not_after` caps its expiry (unix time)."""
        expires = self._expiry(expires_in, not_after)
        return f"{self._base_url}{FILES_PATH}{quote(key)}?exp={expires}&sig={self._signature(key, expires)}"

    def page_url(self, path: str, user: str, expires_in: int, *, not_after: int | None = None) -> str:
        """A link to one of `user`'s pages (the gallery) that a browser can open without a token.

        A page opened by a signed link passes that link's expiry as `not_after`, so following
        the links on it never outlives the link the user was given.
        """
        expires = self._expiry(expires_in, not_after)
        signature = self._signature(f"page:{user}:{path}", expires)
        return f"{self._base_url}{path}?u={quote(user)}&exp={expires}&sig={signature}"

    def page_user(
        self, path: str, user: str | None, expires: str | None, signature: str | None
    ) -> str | None:
        """The user a signed page link was issued for, or None when it is not valid for `path` now."""
        if not user or not self.verify(f"page:{user}:{path}", expires, signature):
            return None
        return user

    def verify(self, key: str, expires: str | None, signature: str | None) -> bool:
        """True when the signature matches the key and expiry, and the link has not expired."""
        if not expires or not signature or not expires.isdigit() or len(expires) > 12:
            return False
        expected = self._signature(key, int(expires))
        return hmac.compare_digest(expected, signature) and int(expires) >= self._clock()
