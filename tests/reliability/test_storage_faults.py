"""Storage faults: a full disk, S3 going away mid-run, conditional writes that keep losing.

Each ends in a clear error, leaves every stored document readable and unchanged by the failed
call, and a retry after the fault is gone succeeds.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
from mcp import Client

from storage import BlobStore, open_backend
from storage import local as local_backend
from tests.fakes.fake_openai import FakeOpenAI, images_reply
from tests.fakes.http_fake import Reply
from tests.generation.conftest import b64, users_face
from tests.photo_files import encode, portrait
from tests.reliability.conftest import (
    USER,
    Seeded,
    identity_doc,
    new_runs,
    openai_app,
    orphans,
    provider_is_drawing,
    stored_files,
    unreadable_documents,
)
from tool_server.app import AppContext, build_app
from tool_server.server import create_server
from tool_server.settings import Settings
from tool_server.userdata.models import Identity

# --- a full disk ---------------------------------------------------------------------------------


class SmallDisk:
    """A directory on a file system that can be made full: a real tmpfs when this machine lets us
    mount one, else the local backend's writes fail with ENOSPC once a byte budget is spent."""

    def __init__(self, mount: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.mount = mount
        self.real = _try_mount_tmpfs(mount, size_mb=24)
        self._budget: int | None = None
        if not self.real:
            self._patch_writes(monkeypatch)

    @property
    def root(self) -> Path:
        return self.mount / "data"

    def fill(self, leave_bytes: int) -> None:
        """Use up the space but `leave_bytes` (rounded to pages on tmpfs)."""
        if self.real:
            free = os.statvfs(self.mount).f_bavail * os.statvfs(self.mount).f_frsize
            with open(self.mount / "ballast", "wb") as ballast:
                ballast.write(b"\0" * max(0, free - leave_bytes))
        else:
            self._budget = leave_bytes

    def free(self) -> None:
        if self.real:
            (self.mount / "ballast").unlink(missing_ok=True)
        self._budget = None

    def close(self) -> None:
        if self.real:
            subprocess.run(["umount", str(self.mount)], check=False, capture_output=True)

    def _patch_writes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        disk = self
        real_fdopen = os.fdopen

        class Handle:
            def __init__(self, handle: Any) -> None:
                self._handle = handle

            def write(self, data: bytes) -> int:
                if disk._budget is not None:
                    if len(data) > disk._budget:
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                    disk._budget -= len(data)
                return int(self._handle.write(data))

            def __getattr__(self, name: str) -> Any:
                return getattr(self._handle, name)

            def __enter__(self) -> Handle:
                return self

            def __exit__(self, *exc: object) -> None:
                self._handle.close()

        monkeypatch.setattr(local_backend.os, "fdopen", lambda fd, mode: Handle(real_fdopen(fd, mode)))


def _try_mount_tmpfs(mount: Path, size_mb: int) -> bool:
    mount.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seeded: Seeded) -> Iterator[SmallDisk]:
    disk = SmallDisk(tmp_path / "disk", monkeypatch)
    try:
        shutil.copytree(seeded.root, disk.root)
        yield disk
    finally:
        disk.close()


def on_disk(seeded: Seeded, disk: SmallDisk) -> Seeded:
    return Seeded(disk.root, seeded.identity_id, seeded.accepted_image_id, seeded.seed_runs)


async def call(app: AppContext, tool: str, arguments: dict[str, Any]) -> Any:
    async with Client(create_server(app.settings, "stdio", app=app), raise_exceptions=True) as client:
        return await client.call_tool(tool, arguments)


async def test_a_photo_upload_on_a_full_disk_fails_clearly_and_works_once_space_is_freed(
    seeded: Seeded, small_disk: SmallDisk
) -> None:
    data = on_disk(seeded, small_disk)
    app = build_app(Settings(storage_url=str(data.root), user=USER, provider="offline", _env_file=None))  # type: ignore[call-arg]
    before = stored_files(data.root)
    photo = {"image_base64": b64(encode(portrait(700, 800)))}
    small_disk.fill(leave_bytes=4096)

    failed = await call(app, "add_reference_photo", photo)

    assert failed.is_error
    assert "disk is full" in failed.content[0].text and "try again" in failed.content[0].text
    assert stored_files(data.root) == before  # no half photo, no orphan face crop
    small_disk.free()
    retried = await call(app, "add_reference_photo", photo)
    assert not retried.is_error, retried.content
    assert retried.structured_content["photo_count"] == 2
    assert unreadable_documents(data.root) == []


async def test_a_disk_that_fills_during_a_generation_leaves_the_identity_and_documents_intact(
    seeded: Seeded, small_disk: SmallDisk, fake_openai: FakeOpenAI
) -> None:
    data = on_disk(seeded, small_disk)
    app = openai_app(data, fake_openai)
    identity_before = identity_doc(data.root, data.identity_id)
    fake_openai.enqueue(images_reply([users_face()]), images_reply([users_face()]))
    # Room for the small run record, not for the ~1 MB image the provider sends back.
    small_disk.fill(leave_bytes=64 * 1024)

    failed = await call(app, "generate_identity_image", {"identity_id": data.identity_id, "candidates": 1})

    assert failed.is_error
    text = failed.content[0].text
    assert "Storage failed" in text and "disk is full" in text, text
    assert identity_doc(data.root, data.identity_id) == identity_before
    assert orphans(data.root, data.identity_id) == []
    assert unreadable_documents(data.root) == []
    [run] = await new_runs(app, data)
    assert run.status in ("failed", "interrupted")  # interrupted: even the failure could not be saved
    small_disk.free()
    retried = await call(app, "generate_identity_image", {"identity_id": data.identity_id, "candidates": 1})
    assert not retried.is_error, retried.content
    identity = identity_doc(data.root, data.identity_id)
    assert identity["current_image_id"] == retried.structured_content["image_id"]
    assert identity["accepted_image_id"] == data.accepted_image_id


# --- S3 stopped mid-run ----------------------------------------------------------------------------


@pytest.fixture
def own_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto S3 server this test may stop and start again (on the same port, same buckets)."""
    from moto.server import ThreadedMotoServer

    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as probe:  # a fixed port, so a restart comes back where clients look
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def upload(root: Path, url: str, endpoint: str) -> None:
    backend = open_backend(url, s3_endpoint_url=endpoint)
    for name in stored_files(root):
        backend.put(name, (root / name).read_bytes())


def s3_documents_that_do_not_parse(app: AppContext) -> list[str]:
    backend = app.blobs.backend
    broken = []
    for key in backend.list("users/"):
        if key.endswith(".json"):
            try:
                json.loads(backend.get(key).data)
            except ValueError:
                broken.append(key)
    return broken


async def test_s3_stopping_during_a_generation_fails_clearly_and_a_retry_after_restart_succeeds(
    seeded: Seeded, own_moto: Any, fake_openai: FakeOpenAI
) -> None:
    import boto3

    host, port = own_moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    bucket = f"coach-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    url = f"s3://{bucket}/tenant"
    upload(seeded.root, url, endpoint)
    app = openai_app(seeded, fake_openai, storage_url=url, s3_endpoint_url=endpoint)
    identity_key = f"users/{USER}/identities/{seeded.identity_id}.json"
    identity_before = await app.blobs.get(identity_key)
    fake_openai.enqueue(Reply(200, images_reply([users_face()]).json, delay_s=0.8))

    async with anyio.create_task_group() as group:
        outcome: dict[str, Any] = {}

        async def generate() -> None:
            outcome["result"] = await call(
                app, "generate_identity_image", {"identity_id": seeded.identity_id, "candidates": 1}
            )

        group.start_soon(generate)
        await provider_is_drawing(fake_openai)
        await anyio.to_thread.run_sync(own_moto.stop)  # S3 goes away while the provider draws

    failed = outcome["result"]
    assert failed.is_error
    assert "S3 is unreachable" in failed.content[0].text and "try again" in failed.content[0].text
    await anyio.to_thread.run_sync(own_moto.start)  # same port, same in-memory buckets
    assert own_moto.get_host_and_port() == (host, port)
    assert await app.blobs.get(identity_key) == identity_before
    assert s3_documents_that_do_not_parse(app) == []
    [run] = await new_runs(app, seeded)
    # S3 was still down when the failure was to be recorded: the record says running on S3, but
    # this process knows the run ended, so get_run must not answer "pending" for ever.
    assert run.status == "interrupted" and "storage failed" in (run.error or "")
    seeded_files = stored_files(seeded.root)
    assert [k for k in await app.blobs.list(f"users/{USER}/images/") if k not in seeded_files] == []

    fake_openai.enqueue(images_reply([users_face()]))
    retried = await call(app, "generate_identity_image", {"identity_id": seeded.identity_id, "candidates": 1})
    assert not retried.is_error, retried.content
    identity = Identity.model_validate_json(await app.blobs.get(identity_key))
    assert identity.current_image_id == retried.structured_content["image_id"]
    assert identity.accepted_image_id == seeded.accepted_image_id


# --- conditional writes that conflict ---------------------------------------------------------------


class RivalWriter(BlobStore):
    """Another process writing the same document between our read and our conditional write.

    Before each of our `if_match` writes to `key`, the rival rewrites the document (a real write
    that changes the etag) for the first `times` attempts, so our write really loses.
    """

    def __init__(self, inner: BlobStore, key: str, times: int) -> None:
        super().__init__(inner.backend)
        self.key = key
        self.times = times
        self.rival_writes = 0

    async def put(self, key: str, data: bytes, **options: Any) -> str:
        if key == self.key and options.get("if_match") and self.rival_writes < self.times:
            current = Identity.model_validate_json(await super().get(key))
            self.rival_writes += 1
            rival = current.model_copy(update={"name": f"{current.name.split(' #')[0]} #{self.rival_writes}"})
            await super().put(key, rival.model_dump_json(indent=2).encode())
        return await super().put(key, data, **options)


@pytest.mark.parametrize("times", [3, 1000], ids=["loses-3-times", "loses-every-time"])
async def test_a_conditional_write_that_keeps_conflicting_never_loses_either_writers_change(
    seeded: Seeded, times: int
) -> None:
    settings = Settings(storage_url=str(seeded.root), user=USER, provider="offline", _env_file=None)  # type: ignore[call-arg]
    key = f"users/{USER}/identities/{seeded.identity_id}.json"
    app = build_app(settings, "stdio")
    rival = RivalWriter(app.blobs, key, times)
    app = build_app(settings, "stdio", blobs=rival)
    arguments = {"identity_id": seeded.identity_id, "image_id": seeded.accepted_image_id}
    app_identity = identity_doc(seeded.root, seeded.identity_id)
    other = next(i for i in app_identity["image_ids"] if i != seeded.accepted_image_id)
    arguments["image_id"] = other

    result = await call(app, "accept_identity_visualization", arguments)

    stored = identity_doc(seeded.root, seeded.identity_id)
    assert unreadable_documents(seeded.root) == []
    assert stored["name"].endswith(f"#{rival.rival_writes}")  # the rival's last change is kept
    if times < 1000:
        assert not result.is_error, result.content
        assert stored["accepted_image_id"] == other  # and so is ours, applied on top of it
        return
    assert result.is_error
    assert "call the tool again" in result.content[0].text and "Nothing was lost" in result.content[0].text
    assert stored["accepted_image_id"] == seeded.accepted_image_id
    rival.times = 0  # the other writer is done: a retry goes through
    again = await call(app, "accept_identity_visualization", arguments)
    assert not again.is_error, again.content
    assert identity_doc(seeded.root, seeded.identity_id)["accepted_image_id"] == other
