"""Run records: what each generation asked, every provider call, every intermediate image in order."""

from tool_server.runs.jobs import JobRunner
from tool_server.runs.models import RunRecord, RunStatus, RunStep
from tool_server.runs.recorder import RunRecorder, RunStore

__all__ = ["JobRunner", "RunRecord", "RunRecorder", "RunStatus", "RunStep", "RunStore"]
