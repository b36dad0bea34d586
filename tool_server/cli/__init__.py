"""The `coach-image-tools` command: `serve` (the default) and one module per group of subcommands.

Each module in this package defines its commands on `app` (or a sub-Typer added here); importing a
module registers it. Heavy imports stay inside the command functions, so `--help` is instant.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from tool_server.settings import Settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help="MCP image tools for LLM coaches. Without a command: serve over stdio.",
)
logger = logging.getLogger("tool_server")


def load_cli_settings(**overrides: object) -> Settings:
    """Load settings or exit 2 with one clear line (no traceback)."""
    from tool_server.launch import load_settings_or_exit

    return load_settings_or_exit(**overrides)


@app.callback(invoke_without_command=True)
def _default(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        from tool_server.cli.serve import serve

        serve()


# Command modules register themselves on import (keep this list sorted).
from tool_server.cli import avatar as _avatar  # noqa: E402, F401
from tool_server.cli import bench as _bench  # noqa: E402, F401
from tool_server.cli import demo as _demo  # noqa: E402, F401
from tool_server.cli import dog as _dog  # noqa: E402, F401
from tool_server.cli import evaluate as _evaluate  # noqa: E402, F401
from tool_server.cli import gallery as _gallery  # noqa: E402, F401
from tool_server.cli import generate as _generate  # noqa: E402, F401
from tool_server.cli import identities as _identities  # noqa: E402, F401
from tool_server.cli import photos as _photos  # noqa: E402, F401
from tool_server.cli import profile as _profile  # noqa: E402, F401
from tool_server.cli import runs as _runs  # noqa: E402, F401
from tool_server.cli import serve as _serve  # noqa: E402, F401
from tool_server.cli import swap as _swap  # noqa: E402, F401


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
