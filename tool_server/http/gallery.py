"""`/gallery/me` and `/gallery/runs/{run_id}`: the gallery pages on the HTTP transport.

Pages and images are always the acting user's (from `request_user`): an image path is resolved
under `users/{acting user}/`, so no URL can reach another user's files, and only image files
are served (never the JSON documents beside them, which hold face embeddings).
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from tool_server.app import AppContext
from tool_server.errors import InvalidInput, InvalidKey, KeyNotFound, NotFound
from tool_server.gallery.render import render_run, render_user
from tool_server.gallery.views import Picture, run_view, user_view
from tool_server.http.users import request_user
from tool_server.mime import sniff_mime

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; img-src 'self' https: http:; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def image_path(key: str, user: str) -> str:
    return "/gallery/images/" + quote(key.removeprefix(f"users/{user}/"))


def register(server: Any, app: AppContext) -> None:
    # `not_after`: the expiry of the signed link that opened the page (None: opened with a token).
    # Every link on such a page expires with it, so a short-lived link never leads to longer ones.
    def linker(user: str, not_after: int | None) -> Any:
        async def link(key: str, mime_type: str, alt: str) -> Picture:
            # Presigned S3 (or signed HTTP) URLs load in any browser; file:// ones do not.
            url = await app.url_for(key, not_after=not_after)
            if not url.startswith(("https://", "http://")):
                url = image_path(key, user)
            return Picture(src=url, href=url, alt=alt)

        return link

    def page_link(user: str, not_after: int | None) -> Any:
        """Links between pages: signed again (expiring with the opening link) when it was a signed one."""

        def link(path: str) -> str:
            if not_after is not None and app.url_signer is not None:
                return app.url_signer.page_url(path, user, app.settings.url_expiry_s, not_after=not_after)
            return path

        return link

    @server.custom_route("/gallery/me", methods=["GET"])
    async def gallery_me(request: Request) -> Response:
        user, not_after = page_user(app, request)
        link = page_link(user, not_after)
        runs_from = request.query_params.get("runs_from", "0")
        if not runs_from.isdigit() or len(runs_from) > 6:
            return _error_page(400, "runs_from must be a number of runs to skip.")
        page_size = app.settings.list_page_size
        view = await user_view(
            app,
            user,
            linker(user, not_after),
            run_link=lambda run_id: link(f"/gallery/runs/{run_id}"),
            runs_from=int(runs_from),
            runs_limit=page_size,
        )
        if int(runs_from) + page_size < view.runs_total:  # the signature covers the path, not this
            me = link("/gallery/me")
            view.older_runs_href = f"{me}{'&' if '?' in me else '?'}runs_from={int(runs_from) + page_size}"
        return HTMLResponse(render_user(view), headers=PAGE_HEADERS)

    @server.custom_route("/gallery/runs/{run_id}", methods=["GET"])
    async def gallery_run(request: Request) -> Response:
        user, not_after = page_user(app, request)
        try:
            view = await run_view(app, user, request.path_params["run_id"], linker(user, not_after))
        except NotFound as exc:
            return _error_page(404, str(exc))
        except InvalidInput as exc:
            return _error_page(400, str(exc))
        return HTMLResponse(
            render_run(view, back_href=page_link(user, not_after)("/gallery/me")), headers=PAGE_HEADERS
        )

    @server.custom_route("/gallery/images/{path:path}", methods=["GET"])
    async def gallery_image(request: Request) -> Response:
        user = request_user(app, request)
        path: str = request.path_params["path"]
        if not path.lower().endswith(IMAGE_SUFFIXES):
            return Response("Not an image.", status_code=404, media_type="text/plain")
        try:
            data = await app.blobs.get(f"users/{user}/{path}")
        except (KeyNotFound, InvalidKey):
            return Response("No such image.", status_code=404, media_type="text/plain")
        return Response(
            data,
            media_type=sniff_mime(data) or "application/octet-stream",
            headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )


def page_user(app: AppContext, request: Request) -> tuple[str, int | None]:
    """(user, expiry of the signed link that opened the page, or None for a bearer token).

    Browsers follow links without the coach's bearer token, so the server hands out signed,
    expiring page links (`gallery_url` in the run resource); the signature names the user.
    """
    query = request.query_params
    if app.url_signer is not None and "sig" in query:
        user = app.url_signer.page_user(request.url.path, query.get("u"), query.get("exp"), query.get("sig"))
        if user is None:
            raise HTTPException(403, "This gallery link is invalid or has expired. Ask for a fresh one.")
        return user, int(query["exp"])
    return request_user(app, request), None


def _error_page(status: int, message: str) -> HTMLResponse:
    body = (
        f"<!doctype html><title>Gallery</title><p>{html.escape(message)}</p>"
        "<p><a href='/gallery/me'>My gallery</a></p>"
    )
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)
