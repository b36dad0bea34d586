"""The MCP request guard: each tool call needs its scope, and counts against the user's rate limit.

A tool whose annotations say `read_only_hint=True` needs `images:read`; every other tool needs
`images:write`; reading a resource needs `images:read`. Scopes are checked only when HTTP auth is
on (stdio and the unauthenticated loopback server have no tokens), and so is the per-user rate
limit: it protects a multi-user server, not one person's local tools. Every other request (lists,
prompts, initialize: opening a session) counts against COACH_IMAGE_PROTOCOL_RATE_LIMIT, a generous
limit of its own, so a user past their limits cannot keep the server busy with cheap calls.
New tools need nothing extra: their annotations decide.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_REQUEST, CallToolResult, TextContent

from tool_server.acting import acting_user
from tool_server.app import AppContext
from tool_server.auth.subjects import READ_SCOPE, WRITE_SCOPE
from tool_server.errors import ToolServerError
from tool_server.quotas import UserRateLimiter

logger = logging.getLogger(__name__)


def missing_scope_message(scope: str) -> str:
    return (
        f"Not allowed: this needs the {scope} scope, which the connection's token does not have. "
        f'Ask the coach back end to mint the user\'s token with scope "{READ_SCOPE} {WRITE_SCOPE}".'
    )


class RequestGuard:
    """Server middleware (`MCPServer(middleware=[...])`) for tools/call and resources/read."""

    def __init__(self, app: AppContext) -> None:
        self.app = app
        self.server: MCPServer[Any] | None = None
        self._read_only: dict[str, bool] | None = None

    async def _tool_scope(self, name: str) -> str | None:
        if self._read_only is None:
            assert self.server is not None, "RequestGuard.server is set by create_server"
            tools = await self.server.list_tools()
            self._read_only = {t.name: bool(t.annotations and t.annotations.read_only_hint) for t in tools}
        if name not in self._read_only:
            return None  # unknown tool: the SDK answers
        return READ_SCOPE if self._read_only[name] else WRITE_SCOPE

    def _refusal(self, scope: str) -> str | None:
        if not (self.app.transport == "http" and self.app.settings.auth_enabled):
            return None
        token = get_access_token()
        if token is None:
            return "Not allowed: no verified bearer token. Reconnect with the user's token."
        return None if scope in token.scopes else missing_scope_message(scope)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        busy = self._rate_problem(self.app.protocol_limiter) if ctx.request_id is not None else None
        if busy is not None:
            logger.info("%s refused: %s", ctx.method, busy.split("(")[0])
            if ctx.method == "tools/call":
                return CallToolResult(content=[TextContent(type="text", text=busy)], is_error=True)
            raise MCPError(code=INVALID_REQUEST, message=busy)
        if ctx.method == "tools/call":
            name = str((ctx.params or {}).get("name", ""))
            scope = await self._tool_scope(name)
            if scope is not None:
                problem = self._refusal(scope) or self._rate_problem()
                if problem is not None:
                    logger.info("tool %s refused: %s", name, problem.split(":")[0])
                    return CallToolResult(content=[TextContent(type="text", text=problem)], is_error=True)
        elif ctx.method == "resources/read":
            problem = self._refusal(READ_SCOPE) or self._rate_problem()
            if problem is not None:
                raise MCPError(code=INVALID_REQUEST, message=problem)
        return await call_next(ctx)

    def _rate_problem(self, limiter: UserRateLimiter | None = None) -> str | None:
        if not (self.app.transport == "http" and self.app.settings.auth_enabled):
            return None
        if get_access_token() is None:
            return None  # refused by the scope check (or, before it, by the SDK's bearer auth)
        try:
            (limiter or self.app.rate_limiter).hit(acting_user(self.app))
        except ToolServerError as exc:
            return str(exc)
        return None
