"""MCP Apps: four in-chat pages (`ui://coach/...`) bound to the tools they serve.

The pages are self-contained HTML built from `ui/` (see CONTRIBUTING). Only clients that
advertise the `io.modelcontextprotocol/ui` extension see anything of them: the tools' `_meta.ui`,
the `ui://` resources in resources/list and the app-only helper tools. Every other client gets
exactly the text and structured results it always had, and no tool needs a page.
"""

from tool_server.apps.setup import AppsSetup, build_apps

__all__ = ["AppsSetup", "build_apps"]
