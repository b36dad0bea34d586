"""The tool boundary: project errors become MCP ToolErrors whose text the coach can act on."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from tool_server import metrics
from tool_server.errors import ConflictError, InvalidKey, KeyNotFound, StorageError, ToolServerError
from tool_server.redaction import redact

P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger("tool_server.tools")

MAKES_IMAGES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
"""The annotations of a tool that calls an image provider and stores what it makes."""


def coach_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Re-raise project errors as ToolError (message kept, secrets redacted); anything else stays a crash.

    A project error raised inside a task group arrives wrapped in an exception group: it is
    unwrapped first, so concurrent work reports the same clear message as sequential work.
    Also counts calls and errors per tool (`coach_tool_calls_total`, `coach_tool_errors_total`).
    """
    tool = fn.__name__

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        metrics.count_tool_call(tool)
        try:
            return await _converted(fn, *args, **kwargs)
        except ToolError as exc:
            cause = exc.__cause__
            metrics.count_tool_error(tool, type(cause).__name__ if cause else "ToolError")
            raise
        except Exception:
            metrics.count_tool_error(tool, "internal")
            raise

    return wrapper


async def _converted(fn: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs) -> R:
    try:
        return await fn(*args, **kwargs)
    except Exception as exc:
        tool_error = _tool_error(_unwrap(exc), fn.__name__)
        if tool_error is None:
            raise
        if tool_error is exc:
            raise
        raise tool_error from (exc.__cause__ if isinstance(exc, ToolError) else exc)


def _unwrap(exc: BaseException) -> BaseException:
    """The single error inside (nested) one-member exception groups, or `exc` itself."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _tool_error(exc: BaseException, tool: str) -> ToolError | None:
    if isinstance(exc, ToolError):
        return exc if redact(str(exc)) == str(exc) else ToolError(redact(str(exc)))
    if isinstance(exc, ToolServerError):
        return ToolError(redact(str(exc)))
    if isinstance(exc, KeyNotFound | InvalidKey):
        return ToolError("Not found. Check the id, or list what exists first.")
    if isinstance(exc, ConflictError):
        return ToolError(f"{exc}. Nothing was lost: call the tool again.")
    if isinstance(exc, StorageError):
        logger.warning("storage error in %s: %s", tool, exc)
        return ToolError(f"Storage failed: {str(exc).rstrip('.')}. Nothing was changed; try again shortly.")
    return None
