"""Builds the apps extension (pages and app-only tools) and the middleware that gates them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.apps import Apps
from mcp.server.mcpserver import MCPServer

from tool_server.app import AppContext
from tool_server.apps.gate import AppsGate
from tool_server.apps.pages import BOUND, PAGES, page_resource

APP_ONLY = frozenset({"app_reference_photos", "app_identity_review", "app_dog_avatars"})


@dataclass
class AppsSetup:
    extension: Apps
    gate: AppsGate

    def register_tools(self, server: MCPServer[Any], app: AppContext) -> None:
        """The app-only tools need the server (to know which tools exist): added once it is built."""
        from tool_server.apps import views

        views.register(self.extension, server, app, {page.name: page.uri for page in PAGES})
        for binding in self.extension.tools():
            server.add_tool(binding.fn, meta=binding.meta, **binding.kwargs)


def build_apps() -> AppsSetup:
    extension = Apps()
    for page in PAGES:
        extension.add_resource(page_resource(page))
    return AppsSetup(extension=extension, gate=AppsGate(BOUND, APP_ONLY))
