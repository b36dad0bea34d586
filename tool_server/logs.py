"""Logging: JSON lines on stderr (stdout belongs to the stdio transport).

Each line carries the acting user's hash (`user`, never the id itself) and the run id (`run_id`)
of the request or generation it was written in, from context variables set by `acting_user`
and `RunStore.start` (anyio tasks inherit them, so a background generation keeps its run id).
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({})))
_user_hash: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_user_hash", default=None)
_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("log_run_id", default=None)


def bind_user(user: str) -> None:
    """Tag this task's log lines with the user's hash."""
    from tool_server.providers.recording import user_hash

    _user_hash.set(user_hash(user))


def bind_run(run_id: str) -> None:
    """Tag this task's log lines with a run id."""
    _run_id.set(run_id)


class RequestContext(logging.Filter):
    """Adds `user` (hash) and `run_id` to a record when the current task has them."""

    def filter(self, record: logging.LogRecord) -> bool:
        user, run = _user_hash.get(), _run_id.get()
        if user is not None and not hasattr(record, "user"):
            record.user = user
        if run is not None and not hasattr(record, "run_id"):
            record.run_id = run
        return True


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        from tool_server.redaction import redact

        return redact(json.dumps(entry, default=str))


def json_handler(stream: object = None) -> logging.Handler:
    """A handler writing JSON lines with the request context to `stream` (default stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonLines())
    handler.addFilter(RequestContext())
    return handler


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    root.handlers[:] = [json_handler()]
    root.setLevel(level)
