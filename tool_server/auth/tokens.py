"""Verifying a bearer JWT: signature (HS256 shared secret or RS256 from a JWKS), `exp`, `sub`, scopes."""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
import jwt
from mcp.server.auth.provider import AccessToken

from tool_server.auth.subjects import READ_SCOPE, WRITE_SCOPE, user_for_subject

logger = logging.getLogger(__name__)

__all__ = ["READ_SCOPE", "WRITE_SCOPE", "JwtVerifier", "user_for_subject"]


class JwtVerifier:
    """The SDK's TokenVerifier for our JWTs: returns None (so the caller answers 401) on any failure."""

    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
    ) -> None:
        if not secret and not jwks_url:
            raise ValueError("JwtVerifier needs a shared secret or a JWKS URL")
        self._secret = secret
        self._jwks = (
            jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=10) if jwks_url else None
        )
        self._issuer = issuer
        self._audience = audience

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            claims = await self._decode(token)
        except (jwt.PyJWTError, ValueError) as exc:
            # Never log the token itself: only why it was refused.
            logger.info("bearer token refused: %s", type(exc).__name__)
            return None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            logger.info("bearer token refused: no sub claim")
            return None
        scope = claims.get("scope", "")
        scopes = scope.split() if isinstance(scope, str) else []
        client = claims.get("client_id") or claims.get("azp") or subject
        return AccessToken(
            token=token,
            client_id=str(client),
            scopes=scopes,
            expires_at=int(claims["exp"]),
            subject=subject,
            claims={k: v for k, v in claims.items() if k in ("iss", "aud", "iat", "jti")},
        )

    async def _decode(self, token: str) -> dict[str, Any]:
        options: jwt.types.Options = {"require": ["exp", "sub"], "verify_aud": self._audience is not None}
        if self._jwks is not None and jwt.get_unverified_header(token).get("alg") != "HS256":
            jwks = self._jwks
            # PyJWKClient fetches (and caches) the key set with blocking I/O.
            signing_key = await anyio.to_thread.run_sync(lambda: jwks.get_signing_key_from_jwt(token))
            key: Any = signing_key.key
            algorithms = ["RS256"]
        elif self._secret:
            key, algorithms = self._secret, ["HS256"]
        else:
            raise jwt.InvalidAlgorithmError("this server accepts RS256 tokens only")
        decoded: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=self._audience,
            issuer=self._issuer,
            options=options,
            leeway=30,
        )
        return decoded
