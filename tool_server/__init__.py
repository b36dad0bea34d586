"""coach-image-tools: an MCP server that shows a user themselves living the identity they chose."""

# Written out rather than read with importlib.metadata, whose import costs up to 0.15 s of every
# cold start; tests/test_stdio_and_cli.py pins it to pyproject.toml's version.
__version__ = "0.1.0"
