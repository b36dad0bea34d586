"""The SDK's auth wiring from our settings: `AuthSettings` (RFC 9728 metadata) and the JWT verifier."""

from __future__ import annotations

from mcp.server.auth.settings import AuthSettings

from tool_server.auth.tokens import JwtVerifier
from tool_server.settings import Settings


def server_base_url(settings: Settings) -> str:
    """Where clients reach this server: COACH_IMAGE_PUBLIC_BASE_URL, else the bind address."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}"


def auth_for(settings: Settings) -> tuple[AuthSettings, JwtVerifier] | None:
    """The auth settings and verifier when a JWT secret or JWKS URL is set, else None (no auth)."""
    if not settings.auth_enabled:
        return None
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
    verifier = JwtVerifier(
        secret=secret or None,
        jwks_url=settings.jwks_url,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    base = server_base_url(settings)
    issuer = settings.jwt_issuer if (settings.jwt_issuer or "").startswith(("http://", "https://")) else base
    auth = AuthSettings(
        issuer_url=issuer,
        resource_server_url=f"{base}/mcp",
        # Scopes are checked per tool (read or write), not for the whole connection.
        required_scopes=None,
        # The verifier checks `aud` itself (COACH_IMAGE_JWT_AUDIENCE).
        validate_token_resource=False,
    )
    return auth, verifier
