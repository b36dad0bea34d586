"""coach-image-tools: an MCP server that shows a user themselves living the identity they chose."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("coach-image-tools")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
