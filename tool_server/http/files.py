"""`GET /files/{key}?exp=..&sig=..`: a locally stored image, for a signed link that has not expired.

The signature is the credential (links are opened by browsers and <img> tags, without the bearer
token). A bad or expired link always gets the same 403, whether or not the file exists.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from tool_server.app import AppContext
from tool_server.auth.signed_urls import FILES_PATH
from tool_server.errors import InvalidKey, KeyNotFound
from tool_server.mime import sniff_mime

INVALID_LINK = "This link is invalid or has expired. Ask the coach for a fresh one."


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.custom_route(FILES_PATH + "{key:path}", methods=["GET"], include_in_schema=False)
    async def signed_file(request: Request) -> Response:
        key = str(request.path_params["key"])
        signer = app.url_signer
        query = request.query_params
        if signer is None or not signer.verify(key, query.get("exp"), query.get("sig")):
            return PlainTextResponse(INVALID_LINK, status_code=403)
        try:
            data = await app.blobs.get(key)
        except (KeyNotFound, InvalidKey):
            return PlainTextResponse("This file was deleted.", status_code=404)
        expires_in = max(0, int(query["exp"]) - int(signer.now()))
        return Response(
            data,
            media_type=sniff_mime(data) or "application/octet-stream",
            headers={
                "Cache-Control": f"private, max-age={expires_in}",
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": "inline",
                "Referrer-Policy": "no-referrer",
            },
        )
