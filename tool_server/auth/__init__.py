"""Bearer-token authentication on the streamable-HTTP transport (JWTs, HS256 or RS256 via JWKS).

`tokens` verifies a JWT and names the acting user; `setup` builds the SDK's `AuthSettings` and
verifier from the settings; `guard` checks each MCP request's scope and the user's rate limit.
stdio has no tokens: the acting user is COACH_IMAGE_USER there.
"""

from tool_server.auth.tokens import READ_SCOPE, WRITE_SCOPE, JwtVerifier, user_for_subject

__all__ = ["READ_SCOPE", "WRITE_SCOPE", "JwtVerifier", "user_for_subject"]
