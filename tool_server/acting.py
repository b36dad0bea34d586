"""Who is acting: from the connection, never from a tool argument the model chooses."""

from __future__ import annotations

from mcp.server.auth.middleware.auth_context import get_access_token

from tool_server.app import AppContext


def acting_user(app: AppContext) -> str:
    """On HTTP the verified bearer token's subject; on stdio the COACH_IMAGE_USER setting."""
    if app.transport == "http":
        token = get_access_token()
        if token is not None:
            subject = getattr(token, "subject", None) or token.client_id
            if subject:
                return str(subject)
    return app.settings.user
