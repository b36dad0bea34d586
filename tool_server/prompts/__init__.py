"""Prompt texts live here as files with a version; the version goes into every run record.

`identity/` holds the identity-image, avatar and face-swap prompts (seed attempts 1-3), `dog/` the
dog-avatar prompt (seed "Avatar Generation V2"), and `mcp_prompts.py` the MCP prompts the coach
can fetch.
"""
