"""The face workers start once a client has connected, so the first image does not wait for them."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.test_stdio_and_cli import server_env
from tool_server.app import AppContext
from tool_server.protocol.warm import WarmAfterHandshake
from tool_server.server import create_server


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in children.read_text().split()]
        except OSError:
            continue
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def face_workers_of_servers() -> list[int]:
    """Worker processes (multiprocessing spawn) of this test's `python -m tool_server` children."""
    servers = [pid for pid in _children(os.getpid()) if b"tool_server" in _cmdline(pid)]
    return [worker for server in servers for worker in _children(server) if b"spawn_main" in _cmdline(worker)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
async def test_a_real_server_starts_its_face_workers_after_tools_list_before_any_tool_call(
    tmp_path: Path,
) -> None:
    env = server_env(tmp_path, COACH_IMAGE_FACE_PROCESSES="1")
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "tool_server"], env=env, cwd=str(tmp_path)
    )
    async with Client(params) as client:
        await client.list_tools()
        with anyio.fail_after(60):
            while True:  # a process tree has nothing to wait on: look again until it shows up
                if face_workers_of_servers():
                    break
                await anyio.sleep(0.05)


async def test_warm_up_waits_for_the_listing_then_runs_once_in_the_background(app: AppContext) -> None:
    calls: list[str] = []
    done = threading.Event()

    def warm() -> None:
        calls.append("warm")
        done.set()

    server = create_server(app.settings, app.transport, app=app)
    server.middleware.append(WarmAfterHandshake(warm, grace_s=600.0))
    async with Client(server, mode="legacy") as client:
        assert calls == []  # the handshake is answered; the warm-up waits for tools/list
        await client.list_tools()
        assert await anyio.to_thread.run_sync(done.wait, 30)
        await client.list_tools()
    async with Client(server) as client:
        await client.list_tools()
    assert calls == ["warm"]
