"""`POST /api/v1/avatars/dog`: the seed's REST endpoint for the web front end, sharing the tool's service.

Request body: `{"job": "support", "size": "1024x1024", "background": "transparent", "regenerate": false}`
(only `job` is required; `provider` may name one). The answer is the tool's structured result (the
seed's fields plus validation, cost and a message). Errors are JSON `{"detail": "..."}` with a
status that says whose fault it is: 401/403 no token or no `images:write` scope (the route may
spend provider money), 400 a bad request (an unknown job also lists `valid_jobs`), 413 a body too large,
422 refused by the provider, 502/503 the provider failed, 503 storage.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from storage import StorageError
from tool_server.app import AppContext
from tool_server.auth.subjects import WRITE_SCOPE
from tool_server.dogs.cache import AvatarBackground
from tool_server.dogs.jobs import closest_job, job_names, normalise_job
from tool_server.dogs.view import avatar_view
from tool_server.errors import (
    InvalidInput,
    NotFound,
    ProviderBlocked,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    ToolServerError,
)
from tool_server.http.users import request_user
from tool_server.settings import ProviderChoice

logger = logging.getLogger(__name__)

PATH = "/api/v1/avatars/dog"
MAX_BODY_BYTES = 16 * 1024
# First match wins: subclasses before their bases. Anything else (ConfigError, ...) is a 500.
_STATUS: tuple[tuple[type[Exception] | tuple[type[Exception], ...], int], ...] = (
    (InvalidInput, 400),
    (NotFound, 404),
    ((ProviderBlocked, ProviderRejected), 422),
    ((ProviderUnavailable, StorageError), 503),
    (ProviderError, 502),
)


class DogAvatarRequest(BaseModel):
    """The seed's request body (plus an optional provider)."""

    model_config = ConfigDict(extra="forbid")

    job: str = Field(min_length=1, max_length=100)
    size: str = "1024x1024"
    background: AvatarBackground = "transparent"
    regenerate: bool = False
    provider: ProviderChoice | None = None


def register(server: Any, app: AppContext) -> None:
    @server.custom_route(PATH, methods=["POST"], name="dog_avatar")
    async def dog_avatar(request: Request) -> Response:
        try:  # it may call a paid provider and rewrites a shared cache entry: same scope as the tool
            user = request_user(app, request, scope=WRITE_SCOPE)
        except HTTPException as exc:
            return problem(exc.status_code, exc.detail, headers=dict(exc.headers or {}) or None)
        body = await _read_body(request)
        if isinstance(body, Response):
            return body
        try:
            wanted = DogAvatarRequest.model_validate(body)
        except ValidationError as exc:
            return problem(400, _validation_detail(exc))
        if normalise_job(wanted.job) not in job_names():
            return problem(
                400,
                f"Unknown job {wanted.job!r}. Valid jobs: {', '.join(job_names())}.",
                valid_jobs=job_names(),
                closest=closest_job(normalise_job(wanted.job)),
            )
        provider = None if wanted.provider == "auto" else wanted.provider
        try:
            result = await app.dogs.get_avatar(
                wanted.job,
                wanted.size,
                wanted.background,
                wanted.regenerate,
                provider,
                user=user,
            )
        except (ToolServerError, StorageError) as exc:
            return _error_response(exc)
        return JSONResponse(avatar_view(result).model_dump(mode="json"))


async def _read_body(request: Request) -> Any | Response:
    """The JSON body, or the error response for a body too large, not JSON or not an object."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return problem(413, f"The request body is over {MAX_BODY_BYTES} bytes: send only the JSON fields.")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            return problem(
                413, f"The request body is over {MAX_BODY_BYTES} bytes: send only the JSON fields."
            )
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return problem(400, 'The body must be JSON, for example {"job": "support"}.')
    if not isinstance(body, dict):
        return problem(400, 'The body must be a JSON object, for example {"job": "support"}.')
    return body


def _validation_detail(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{field}: {error['msg']}")
    return "Invalid request: " + "; ".join(parts) + "."


def _error_response(exc: Exception) -> Response:
    status = _status_for(exc)
    if status >= 500:
        logger.warning("dog avatar request failed (%d): %s", status, exc)
    headers = {"Retry-After": "30"} if status == 503 else None
    return problem(status, str(exc) or type(exc).__name__, headers=headers)


def _status_for(exc: Exception) -> int:
    return next((status for kind, status in _STATUS if isinstance(exc, kind)), 500)


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """The seed's error shape: `{"detail": ...}`, plus any fields that help the client fix the call."""
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)
