"""Who a plain HTTP request (not an MCP call) acts for: the verified bearer token's user."""

from __future__ import annotations

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from starlette.exceptions import HTTPException
from starlette.requests import Request

from tool_server.app import AppContext
from tool_server.auth.guard import missing_scope_message
from tool_server.auth.setup import server_base_url
from tool_server.auth.tokens import READ_SCOPE, user_for_subject
from tool_server.logs import bind_user
from tool_server.quotas.rate import RateLimited


def request_user(app: AppContext, request: Request, *, scope: str = READ_SCOPE) -> str:
    """The acting user of an HTTP route; raises HTTPException 401/403/429 (Starlette answers it).

    With auth configured the request must carry a bearer token the SDK's authentication
    middleware verified (signature, expiry, issuer, audience) with `scope` among its scopes
    (`images:read` by default; routes that change data pass `images:write`). Without auth (the
    loopback-only development server) every request acts for COACH_IMAGE_USER, like stdio.
    With auth, every call counts against the user's rate limit.
    """
    if app.settings.auth_enabled:
        authenticated = request.scope.get("user")
        if not isinstance(authenticated, AuthenticatedUser) or not authenticated.access_token.subject:
            metadata = f"{server_base_url(app.settings)}/.well-known/oauth-protected-resource/mcp"
            raise HTTPException(
                401,
                "Authentication required: send the user's bearer token.",
                headers={"WWW-Authenticate": f'Bearer error="invalid_token", resource_metadata="{metadata}"'},
            )
        if scope not in authenticated.scopes:
            raise HTTPException(403, missing_scope_message(scope))
        user = user_for_subject(authenticated.access_token.subject)
        try:
            app.rate_limiter.hit(user)
        except RateLimited as exc:
            raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after_s)}) from exc
    else:
        user = app.settings.user
    bind_user(user)
    return user
