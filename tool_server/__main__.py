"""`python -m tool_server` and the `coach-image-tools` command.

Without arguments (what MCP clients spawn) it serves over stdio without importing the CLI
framework (see `tool_server.launch`); with any argument the Typer CLI takes over.
"""

import sys


def main() -> None:
    if len(sys.argv) > 1:
        from tool_server.cli import main as cli_main

        cli_main()
        return
    from tool_server.launch import serve_stdio

    try:
        serve_stdio()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
