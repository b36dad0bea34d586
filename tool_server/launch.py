"""Starting the server without the command-line framework, for the spawn MCP clients do.

Claude Desktop and other clients start `coach-image-tools` (or `python -m tool_server`) with no
arguments on every launch and wait for `tools/list`; importing Typer and Click for that costs about
a quarter of a second of a 2-core machine's cold start (`python -m benchmarks`, item 1). So with no
arguments `tool_server.__main__` calls `serve_stdio` here directly; every other command line goes
through the CLI (`tool_server.cli`), whose `serve` uses the same functions.
"""

from __future__ import annotations

import gc
import logging
import sys
from typing import TYPE_CHECKING, Any, Literal, NoReturn

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from tool_server.settings import Settings

logger = logging.getLogger("tool_server")


def fail(message: str, code: int) -> NoReturn:
    """One line on stderr, no traceback, and exit with `code`."""
    print(f"coach-image-tools: {message}", file=sys.stderr)
    sys.exit(code)


def load_settings_or_exit(**overrides: object) -> Settings:
    """Load settings or exit 2 with one clear line naming the bad variable."""
    from pydantic import ValidationError

    from tool_server.settings import load_settings

    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "COACH_IMAGE_" + str(first["loc"][0]).upper() if first["loc"] else "a setting"
        fail(f"bad setting {name}: {first['msg']}", 2)


def start_server(settings: Settings, mode: Literal["stdio", "http"]) -> MCPServer[Any]:
    """The server for `settings`, logging configured; exit 1 with one line if a backend cannot start."""
    from tool_server.app import build_app
    from tool_server.logs import configure_logging
    from tool_server.server import create_server

    try:
        app = build_app(settings, mode)
        server = create_server(settings, mode, app=app, serving=True)
    except Exception as exc:  # a backend that cannot start: one line, no traceback
        fail(f"cannot start: {exc}", 1)
    configure_logging(settings.log_level)
    logger.info("storage at %s", settings.resolved_storage_url())
    if mode == "http":
        logger.info("%s", app.shared.description)
    freeze_startup_heap()
    return server


def freeze_startup_heap() -> None:
    """Keep what exists at start (modules, schemas, the app) out of the garbage collector's passes.

    It lives as long as the process, yet every full collection walks all of it while the event
    loop waits: 0.13 s stalls during 32 concurrent generations (`python -m benchmarks`, item 3).
    Frozen, a full pass takes a few ms. Called once per server process, after start-up.
    """
    gc.freeze()


def serve_stdio() -> None:
    """`coach-image-tools` with no arguments: serve over stdio.

    Start-up allocates many long-lived objects (modules, schemas) and no garbage cycles worth
    collecting, so the collector is paused until they are frozen (`freeze_startup_heap`).
    """
    gc.disable()
    try:
        server = start_server(load_settings_or_exit(), "stdio")
    finally:
        gc.enable()
    server.run("stdio")
