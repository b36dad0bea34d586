"""`PUT /api/v1/users/me/upload-photo/`: the web front end's photo upload (multipart field `image`).

The same ingest as the add_reference_photo tool (`PhotoLibrary.add`: size and megapixel caps,
EXIF orientation, metadata stripped, face quality gate, photo cap), for the token's user only.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.mcpserver import MCPServer
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tool_server.app import AppContext
from tool_server.auth.tokens import WRITE_SCOPE
from tool_server.errors import LimitExceeded, StorageError, ToolServerError
from tool_server.http.users import request_user
from tool_server.tools.photos import photo_info

logger = logging.getLogger(__name__)
UPLOAD_PATH = "/api/v1/users/me/upload-photo/"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def register(server: MCPServer[Any], app: AppContext) -> None:
    @server.custom_route(UPLOAD_PATH, methods=["PUT"])
    async def upload_photo(request: Request) -> Response:
        user = request_user(app, request, scope=WRITE_SCOPE)
        limit = app.settings.max_upload_bytes
        if len((await app.photos.index(user)).photos) >= app.photos.max_photos:
            return _error(
                409,
                f"The user already has {app.photos.max_photos} reference photos, the most kept. "
                "Remove one first, then upload again.",
            )
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return _error(415, "Send the photo as multipart/form-data with the file in the field `image`.")
        async with request.form(max_files=1, max_fields=5) as form:
            upload = form.get("image")
            if not isinstance(upload, UploadFile):
                return _error(400, "No file in the multipart field `image`. Send the photo there.")
            data = await upload.read(limit + 1)
            filename = upload.filename
        if len(data) > limit:
            return _error(
                413,
                f"The photo is larger than {limit / 2**20:.1f} MB. Choose a smaller one and upload again.",
            )
        try:
            record, findings, count = await app.photos.add(user, data, filename)
            index = await app.photos.index(user)
        except LimitExceeded as exc:
            return _error(413, str(exc))
        except ToolServerError as exc:
            return _error(400, str(exc))
        except StorageError as exc:
            logger.warning("upload failed in storage: %s", exc)
            return _error(503, "Storage failed; nothing was saved. Try again shortly.")
        photos = [await photo_info(app, p, primary=i == 0) for i, p in enumerate(index.photos)]
        added = next(p for p in photos if p.photo_id == record.photo_id)
        return JSONResponse(
            {
                "photo": added.model_dump(mode="json"),
                "image_url": photos[0].url if photos else None,
                "photos": [p.model_dump(mode="json") for p in photos],
                "photo_count": count,
                "max_photos": app.photos.max_photos,
                "quality_verdict": findings.verdict if findings else None,
                "message": f"Saved reference photo {record.photo_id} ({count} of {app.photos.max_photos}).",
            },
            status_code=201,
        )
