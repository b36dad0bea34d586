"""Who is acting: from the connection, never from a tool argument the model chooses."""

from __future__ import annotations

from mcp.server.auth.middleware.auth_context import get_access_token

from tool_server.app import AppContext
from tool_server.auth.subjects import user_for_subject
from tool_server.errors import NotAuthorized
from tool_server.logs import bind_user


def acting_user(app: AppContext) -> str:
    """On HTTP the verified bearer token's subject; on stdio the COACH_IMAGE_USER setting.

    With auth configured a request without a verified token never acts for anyone (the transport
    answers 401 before a tool runs; this is the second lock).
    """
    user = app.settings.user
    if app.transport == "http":
        token = get_access_token()
        subject = token.subject if token is not None else None
        if subject:
            user = user_for_subject(subject)
        elif app.settings.auth_enabled:
            raise NotAuthorized(
                "This request carries no verified bearer token; reconnect with a valid token."
            )
    bind_user(user)
    return user
