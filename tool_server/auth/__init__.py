"""Bearer-token authentication on the streamable-HTTP transport (JWTs, HS256 or RS256 via JWKS).

`tokens` verifies a JWT and names the acting user; `setup` builds the SDK's `AuthSettings` and
verifier from the settings; `guard` checks each MCP request's scope and the user's rate limit;
`signed_urls` signs links a browser opens without a token. stdio has no tokens: the acting user
is COACH_IMAGE_USER there. Nothing is imported here, so stdio never loads PyJWT or cryptography.
"""
