"""How the server speaks MCP beyond the SDK's defaults: compact listings, worded argument errors."""

from tool_server.protocol.server import CoachServer

__all__ = ["CoachServer"]
