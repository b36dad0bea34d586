"""The tool boundary: project errors become MCP ToolErrors whose text the coach can act on."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ToolError

from tool_server import metrics
from tool_server.errors import ConflictError, InvalidKey, KeyNotFound, StorageError, ToolServerError
from tool_server.redaction import redact

P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger("tool_server.tools")


def coach_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Re-raise project errors as ToolError (message kept); everything else stays a crash (logged).

    Also counts calls and errors per tool (`coach_tool_calls_total`, `coach_tool_errors_total`).
    """
    tool = fn.__name__

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        metrics.TOOL_CALLS.labels(tool).inc()
        try:
            return await _converted(fn, *args, **kwargs)
        except ToolError as exc:
            cause = exc.__cause__
            metrics.TOOL_ERRORS.labels(tool, type(cause).__name__ if cause else "ToolError").inc()
            raise
        except Exception:
            metrics.TOOL_ERRORS.labels(tool, "internal").inc()
            raise

    return wrapper


async def _converted(fn: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs) -> R:
    try:
        return await fn(*args, **kwargs)
    except ToolError as exc:
        if redact(str(exc)) == str(exc):
            raise
        raise ToolError(redact(str(exc))) from exc.__cause__
    except ToolServerError as exc:
        raise ToolError(redact(str(exc))) from exc
    except (KeyNotFound, InvalidKey) as exc:
        raise ToolError("Not found. Check the id, or list what exists first.") from exc
    except ConflictError as exc:
        raise ToolError(f"{exc}. Nothing was lost: call the tool again.") from exc
    except StorageError as exc:
        logger.warning("storage error in %s: %s", fn.__name__, exc)
        raise ToolError(f"Storage failed: {exc}. Nothing was changed; try again shortly.") from exc
