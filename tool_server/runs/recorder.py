"""Writing a run as it happens: intermediates first, the record after each step (single writer)."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from typing import Any

import anyio

from storage import BlobStore, Documents, StorageError
from tool_server.errors import NotFound, ToolServerError
from tool_server.ids import check_id, new_id
from tool_server.logs import bind_run
from tool_server.mime import extension_for
from tool_server.providers.base import ProviderCall
from tool_server.redaction import redact
from tool_server.runs.models import RunKind, RunRecord, RunStep
from tool_server.userdata import keys
from tool_server.userdata.models import now

_HOST = socket.gethostname()
logger = logging.getLogger(__name__)
# Runs this process is working on. A record that says "running", names this process as its owner
# and is not in here lost its last write (storage failed at the end): it is reported interrupted.
_LIVE_RUNS: set[str] = set()


class RunRecorder:
    """One run's writer. Steps are numbered in the order they are saved."""

    def __init__(self, blobs: BlobStore, docs: Documents, user: str, record: RunRecord) -> None:
        self.blobs = blobs
        self.docs = docs
        self.user = user
        self.record = record
        self._lock = anyio.Lock()

    @property
    def run_id(self) -> str:
        return self.record.run_id

    async def save_step(self, name: str, data: bytes, mime_type: str, kind: str, **details: Any) -> RunStep:
        """Store an intermediate image as `{NN}_{name}.{ext}` and append it to the record."""
        async with self._lock:
            index = len(self.record.steps) + 1
            stem = f"{index:02d}_{name}"
            key = f"{keys.run_prefix(self.user, self.run_id)}{stem}.{extension_for(mime_type)}"
            step = RunStep(index=index, name=stem, key=key, mime_type=mime_type, kind=kind, **details)
            self.record.steps.append(step)
        await self.blobs.put(key, data, content_type=mime_type)
        await self.flush()
        return step

    async def annotate(self, step: RunStep, **details: Any) -> None:
        for name, value in details.items():
            setattr(step, name, value)
        await self.flush()

    async def add_calls(self, calls: list[ProviderCall]) -> None:
        self.record.calls.extend(_call_dict(call) for call in calls)
        await self.flush()

    async def finish(self, result: dict[str, Any]) -> None:
        self.record.status = "done"
        self.record.result = result
        self.record.finished_at = now()
        try:
            await self.flush()
        finally:
            _LIVE_RUNS.discard(self.run_id)

    async def fail(self, error: BaseException) -> None:
        """Record the failure; a storage failure here is logged, so the caller's own error is kept."""
        self.record.status = "failed"
        self.record.error = _error_text(error)
        self.record.error_kind = type(error).__name__
        self.record.finished_at = now()
        try:
            with anyio.CancelScope(shield=True):
                await self.flush()
        except StorageError as exc:
            logger.warning("could not record the failure of run %s: %s", self.run_id, exc)
        finally:
            _LIVE_RUNS.discard(self.run_id)

    async def flush(self) -> None:
        async with self._lock:
            self.record.updated_at = now()
            snapshot = self.record.model_copy(deep=True)
        await self.docs.write(keys.run_record(self.user, self.run_id), snapshot)


def _error_text(error: BaseException) -> str:
    if isinstance(error, ToolServerError):
        return redact(str(error))
    if isinstance(error, StorageError):
        return redact(f"storage failed: {error}")
    return "internal error"


def _call_dict(call: ProviderCall) -> dict[str, Any]:
    return dataclasses.asdict(call)


class RunStore:
    """Creates and reads run records; a running record whose owner process died is `interrupted`."""

    def __init__(self, blobs: BlobStore, docs: Documents) -> None:
        self.blobs = blobs
        self.docs = docs

    async def start(
        self, user: str, kind: RunKind, inputs: dict[str, Any], prompt_version: str | None = None
    ) -> RunRecorder:
        record = RunRecord(
            run_id=new_id("run"),
            kind=kind,
            inputs=inputs,
            prompt_version=prompt_version,
            owner_pid=os.getpid(),
            owner_host=_HOST,
        )
        recorder = RunRecorder(self.blobs, self.docs, user, record)
        bind_run(record.run_id)
        await recorder.flush()
        _LIVE_RUNS.add(record.run_id)
        return recorder

    async def get(self, user: str, run_id: str) -> RunRecord:
        check_id(run_id, "run", prefix="run_")
        record = await self.docs.read(keys.run_record(user, run_id), RunRecord)
        if record is None:
            raise NotFound(f"No run with id {run_id!r}. Use a run_id an image tool returned.")
        if record.status == "running" and _owner_is_dead(record):
            record.status = "interrupted"
            record.error = (
                "The server stopped while this run was in progress; nothing was changed. Run it again."
            )
            await self.docs.write(keys.run_record(user, run_id), record)
        elif record.status == "running" and _owned_here(record) and run_id not in _LIVE_RUNS:
            # Our own run ended but its last write failed; the record on storage stays as it is.
            record.status = "interrupted"
            record.error = (
                "This run stopped without its outcome being saved (storage failed). Check the "
                "identity with list_identities, then run it again if no new image is there."
            )
        return record

    async def list(self, user: str) -> list[str]:
        prefix = f"users/{user}/runs/"
        return sorted(
            {
                k[len(prefix) :].split("/", 1)[0]
                for k in await self.blobs.list(prefix)
                if k.endswith("run.json")
            }
        )


def _owned_here(record: RunRecord) -> bool:
    return record.owner_host == _HOST and record.owner_pid == os.getpid()


def _owner_is_dead(record: RunRecord) -> bool:
    """Only a run owned by a process on this host can be judged; another host's run stays running."""
    if record.owner_host != _HOST or record.owner_pid is None:
        return False
    if record.owner_pid == os.getpid():
        return False  # ours: the job runner knows whether it is alive
    try:
        os.kill(record.owner_pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
