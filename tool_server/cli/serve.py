"""`coach-image-tools serve`: run the MCP server over stdio or streamable HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import typer

from tool_server.cli import app, load_cli_settings, logger

if TYPE_CHECKING:
    from tool_server.settings import Settings


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
    problem = exposure_problem(settings) if mode == "http" else None
    if problem:
        typer.echo(f"coach-image-tools: refusing to start: {problem}", err=True)
        raise typer.Exit(2)
    server = start_server(settings, mode)
    if mode == "stdio":
        server.run("stdio")
        return
    import uvicorn

    from tool_server.http.asgi import http_app

    logger.info(
        "HTTP transport on http://%s:%d/mcp (%s)",
        settings.host,
        settings.port,
        "bearer-token auth" if settings.auth_enabled else "loopback only, no auth",
    )
    # access_log=False: uvicorn's would log whole URLs, signed links included (http/access_log.py).
    uvicorn.run(
        http_app(server, settings), host=settings.host, port=settings.port, log_config=None, access_log=False
    )


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def exposure_problem(settings: Settings) -> str | None:
    """Why the HTTP transport must not start with these settings, or None."""
    if settings.host in LOOPBACK_HOSTS or settings.auth_enabled:
        return None
    return (
        f"COACH_IMAGE_HOST={settings.host} is reachable beyond this machine and no authentication is "
        "configured, so anyone could read every user's photos. Set COACH_IMAGE_JWT_SECRET (HS256) or "
        "COACH_IMAGE_JWKS_URL (RS256) to require bearer tokens, or bind to 127.0.0.1."
    )
