"""Writing a run as it happens: intermediates first, the record after each step (single writer)."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import time
from datetime import timedelta
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
# Runs this process is working on (their leases are renewed). A record that says "running", names
# this process as its owner and is not in here lost its last write (storage failed at the end).
_LIVE_RUNS: dict[str, RunRecorder] = {}


class RunRecorder:
    """One run's writer. Steps are numbered in the order they are saved."""

    def __init__(
        self, blobs: BlobStore, docs: Documents, user: str, record: RunRecord, lease_s: float = 20.0
    ) -> None:
        self.blobs = blobs
        self.docs = docs
        self.user = user
        self.record = record
        self.lease_s = lease_s
        self.flushed_at = 0.0  # time.monotonic() of the last write
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
            _LIVE_RUNS.pop(self.run_id, None)

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
            _LIVE_RUNS.pop(self.run_id, None)

    async def flush(self) -> None:
        """Write the record; while it runs, each write renews its lease."""
        async with self._lock:
            self.record.updated_at = now()
            lease = self.record.updated_at + timedelta(seconds=self.lease_s)
            self.record.lease_until = lease if self.record.status == "running" else None
            snapshot = self.record.model_copy(deep=True)
            self.flushed_at = time.monotonic()
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
    """Creates and reads run records; a running record whose lease lapsed is `interrupted`.

    A run's instance renews its lease (`keep_leases`, every third of COACH_IMAGE_RUN_LEASE_S);
    any instance, on any host, that reads a running record whose lease is past reports it
    interrupted, with what it spent and the images it kept.
    """

    def __init__(self, blobs: BlobStore, docs: Documents, lease_s: float = 20.0) -> None:
        self.blobs = blobs
        self.docs = docs
        self.lease_s = lease_s

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
        recorder = RunRecorder(self.blobs, self.docs, user, record, self.lease_s)
        bind_run(record.run_id)
        await recorder.flush()
        _LIVE_RUNS[record.run_id] = recorder
        return recorder

    async def keep_leases(self) -> None:
        """Renew the lease of every run this process is working on, until cancelled."""
        while True:
            await anyio.sleep(self.lease_s / 3)
            for recorder in list(_LIVE_RUNS.values()):
                if time.monotonic() - recorder.flushed_at >= self.lease_s / 3:
                    try:
                        await recorder.flush()
                    except StorageError as exc:  # the next round tries again; the lease has slack
                        logger.warning("could not renew the lease of run %s: %s", recorder.run_id, exc)

    def is_live(self, record: RunRecord) -> bool:
        """A running record whose instance is still working on it (this one or another)."""
        if record.status != "running":
            return False
        return record.run_id in _LIVE_RUNS or not _lapsed(record)

    async def get(self, user: str, run_id: str) -> RunRecord:
        check_id(run_id, "run", prefix="run_")
        record = await self.docs.read(keys.run_record(user, run_id), RunRecord)
        if record is None:
            raise NotFound(f"No run with id {run_id!r}. Use a run_id an image tool returned.")
        if record.status == "running" and _owned_here(record) and run_id not in _LIVE_RUNS:
            # Our own run ended but its last write failed; the record on storage stays as it is.
            record.status = "interrupted"
            record.error = (
                "This run stopped without its outcome being saved (storage failed). Check the "
                "identity with list_identities, then run it again if no new image is there."
            )
        elif record.status == "running" and run_id not in _LIVE_RUNS and _lapsed(record):
            record.status = "interrupted"
            record.error = _interrupted_text(record)
            await self.docs.write(keys.run_record(user, run_id), record)
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


def _lapsed(record: RunRecord) -> bool:
    """The lease is past (a record from before leases: its last write is older than a default lease)."""
    deadline = record.lease_until or record.updated_at + timedelta(seconds=60)
    return deadline < now()


def _interrupted_text(record: RunRecord) -> str:
    spent = sum(float(call.get("cost_usd") or 0.0) for call in record.calls)
    kept = len(record.steps)
    return (
        f"The server running this run stopped; nothing was changed. It had spent ${spent:.2f} on "
        f"{len(record.calls)} provider call(s); its {kept} intermediate image(s) are kept in the run. "
        "Run it again."
    )
