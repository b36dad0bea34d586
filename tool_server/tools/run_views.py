"""What every run-backed result shares: its intermediates and the words for an unfinished run."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from tool_server.app import AppContext
from tool_server.runs import RunRecord


class IntermediateView(BaseModel):
    name: str
    kind: str
    url: str


async def intermediates_of(app: AppContext, record: RunRecord) -> list[IntermediateView]:
    """Each saved step in order, with a fresh URL."""
    return [IntermediateView(name=s.name, kind=s.kind, url=await app.url_for(s.key)) for s in record.steps]


ViewStatus = Literal["done", "pending", "failed", "interrupted"]


def view_status(record: RunRecord) -> ViewStatus:
    """A run's status as tools answer it: a running run is `pending` for the coach."""
    return "pending" if record.status == "running" else record.status


def unfinished(record: RunRecord) -> dict[str, Any]:
    """The fields every result view of a run that is not done shares."""
    return {
        "status": view_status(record),
        "run_id": record.run_id,
        "message": unfinished_message(record),
        "error": record.error,
    }


def unfinished_message(record: RunRecord) -> str:
    return {
        "running": "Still working. Call get_run with this run_id again in about 20 seconds.",
        "failed": f"The run failed: {record.error}",
        "interrupted": record.error or "The server stopped during this run. Run it again.",
    }.get(record.status, "")
