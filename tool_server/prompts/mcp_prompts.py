"""MCP prompts the coach can fetch: the visualization phase's instructions (seed step 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer

from tool_server.app import AppContext

_PHASE = Path(__file__).parent / "identity" / "visualization_phase.md"


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.prompt(title="Identity visualization phase")
    def identity_visualization() -> str:
        """How to run the visualization phase: check the photo, generate, show, regenerate, accept."""
        return _PHASE.read_text(encoding="utf-8")
