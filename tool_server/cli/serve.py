"""`coach-image-tools serve`: run the MCP server over stdio or streamable HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer

from tool_server.cli import app, load_cli_settings, logger

if TYPE_CHECKING:
    pass


@app.command()
def serve(
    transport: Annotated[
        str, typer.Option(help="stdio (for Claude Desktop) or http (streamable HTTP).")
    ] = "stdio",
    host: Annotated[str | None, typer.Option(help="HTTP bind address (default COACH_IMAGE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (default COACH_IMAGE_PORT).")] = None,
) -> None:
    """Run the MCP server."""
    if transport not in ("stdio", "http"):
        typer.echo(f"coach-image-tools: --transport must be stdio or http, not {transport!r}", err=True)
        raise typer.Exit(2)
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    settings = load_cli_settings(**overrides)
    from tool_server.launch import start_server

    mode: Literal["stdio", "http"] = "http" if transport == "http" else "stdio"
    server = start_server(settings, mode)
    if mode == "stdio":
        server.run("stdio")
        return
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(
            f"coach-image-tools: refusing to bind {settings.host}: the HTTP transport has no authentication "
            "yet, so it only binds to 127.0.0.1.",
            err=True,
        )
        raise typer.Exit(2)
    logger.info(
        "HTTP transport on http://%s:%d/mcp (loopback only: no auth yet)", settings.host, settings.port
    )
    server.run("streamable-http", host=settings.host, port=settings.port)
