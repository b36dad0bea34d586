"""Server middleware: shows the apps only to clients that advertise the extension.

Clients without it see today's tools/list and resources/list byte for byte: no `_meta.ui`, no
`ui://` resources, no app-only tools (a call to one is answered like any unknown tool).
"""

from __future__ import annotations

from typing import Any

from mcp.server.apps import client_supports_apps
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent


class AppsGate:
    def __init__(self, bound: dict[str, str], app_only: frozenset[str]) -> None:
        self.bound = bound  # tool name -> ui:// page it renders in
        self.app_only = app_only

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method not in ("tools/list", "tools/call", "resources/list"):
            return await call_next(ctx)
        apps = client_supports_apps(ctx)
        if ctx.method == "tools/call" and not apps:
            name = str((ctx.params or {}).get("name", ""))
            if name in self.app_only:
                return CallToolResult(
                    content=[TextContent(type="text", text=f"Unknown tool: {name}")], is_error=True
                )
        result = await call_next(ctx)
        if not isinstance(result, dict):
            return result
        if ctx.method == "tools/list":
            return {**result, "tools": self._tools(result.get("tools", []), apps)}
        if ctx.method == "resources/list" and not apps:
            kept = [r for r in result.get("resources", []) if not str(r.get("uri", "")).startswith("ui://")]
            return {**result, "resources": kept}
        return result

    def _tools(self, tools: list[dict[str, Any]], apps: bool) -> list[dict[str, Any]]:
        if not apps:
            return [tool for tool in tools if tool.get("name") not in self.app_only]
        shown = []
        for tool in tools:
            uri = self.bound.get(tool.get("name", ""))
            if uri is not None:
                tool = {**tool, "_meta": {**tool.get("_meta", {}), "ui": {"resourceUri": uri}}}
            shown.append(tool)
        return shown
