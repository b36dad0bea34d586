"""`CoachServer`: the SDK's MCPServer with three wire habits, applied once for every tool.

- `tools/list` carries compact schemas (`protocol.schemas`): the same contract, fewer bytes.
- Bad arguments, unknown ones included, answer in words (`protocol.arguments`), not pydantic's dump.
- A result whose text would only repeat its structured content as JSON says its `message` instead.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, InputRequiredResult, TextContent
from mcp.types import Tool as MCPTool
from pydantic import ValidationError

from tool_server.protocol.arguments import argument_error_text, unknown_arguments
from tool_server.protocol.schemas import compact_input, compact_output, one_line


class CoachServer(MCPServer[Any]):
    async def list_tools(self) -> list[MCPTool]:
        return [compact_tool(tool) for tool in await super().list_tools()]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        schema = self._tool_input_schema(name)
        unknown = unknown_arguments(arguments, schema)
        if unknown:
            raise ToolError(argument_error_text(name, schema, unknown=unknown, arguments=arguments))
        try:
            result = await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError) and exc.__cause__.title.endswith("Arguments"):
                # The cause stays the ValidationError: the SDK then logs only the fields' names.
                raise ToolError(argument_error_text(name, schema, error=exc.__cause__)) from exc.__cause__
            raise
        return said_in_words(result) if isinstance(result, CallToolResult) else result


# The spec's value for an annotation left out; listing it again only costs bytes.
_HINT_DEFAULTS = {
    "read_only_hint": False,
    "destructive_hint": True,
    "idempotent_hint": False,
    "open_world_hint": True,
}


def compact_tool(tool: MCPTool) -> MCPTool:
    """The tool as listed: one-line description, compact schemas, no annotation at its default."""
    annotations = tool.annotations
    if annotations is not None:
        defaults = {
            name: None for name, value in _HINT_DEFAULTS.items() if getattr(annotations, name) is value
        }
        annotations = annotations.model_copy(update=defaults)
    return tool.model_copy(
        update={
            "description": one_line(tool.description),
            "input_schema": compact_input(tool.input_schema),
            "output_schema": compact_output(tool.output_schema) if tool.output_schema else None,
            "annotations": annotations,
        }
    )


def said_in_words(result: CallToolResult) -> CallToolResult:
    """`result` with its JSON text (the SDK's copy of the structured content) replaced by its message."""
    structured = result.structured_content
    if structured is None or result.is_error or len(result.content) != 1:
        return result
    block = result.content[0]
    message = structured.get("message")
    if not isinstance(block, TextContent) or not isinstance(message, str) or not block.text.startswith("{"):
        return result
    try:
        if json.loads(block.text) != structured:
            return result
    except ValueError:
        return result
    return result.model_copy(update={"content": [TextContent(type="text", text=message)]})
