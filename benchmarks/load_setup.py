"""The load script's setup: a slow fake OpenAI, seeded storage, the server subprocess, its memory."""

from __future__ import annotations

import base64
import dataclasses
import io
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.fakes.fake_openai import FakeOpenAI, images_reply
from tests.fakes.http_fake import RecordedRequest, Reply

ROOT = Path(__file__).resolve().parents[1]
LOAD_USER = "load-user"


class SlowOpenAI(FakeOpenAI):
    """The fake OpenAI Images API, answering each request with `image` after a random delay."""

    def __init__(self, image: bytes, delay: tuple[float, float]) -> None:
        super().__init__()
        self._reply = images_reply([image])
        self._delay = delay
        self.delays: list[float] = []

    def default_reply(self, request: RecordedRequest) -> Reply:
        delay = random.uniform(*self._delay)
        self.delays.append(delay)
        return dataclasses.replace(self._reply, delay_s=delay)


def scene_png(kind: str) -> bytes:
    """What the fake provider draws: the user's face on a 1024 px canvas, or an 8 px tile."""
    from PIL import Image

    from tests.photo_files import portrait

    buffer = io.BytesIO()
    if kind == "tiny":
        Image.new("RGB", (8, 8), (200, 120, 80)).save(buffer, format="PNG")
        return buffer.getvalue()
    canvas = Image.new("RGB", (1024, 1024), (200, 210, 230))
    face = portrait(600, 600)
    canvas.paste(face, (212, 212))
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


# --- seeding ------------------------------------------------------------------------------------


async def seed(storage: Path, users: list[str], identities_per_user: int) -> dict[str, list[str]]:
    """Each user gets one reference photo and `identities_per_user` identities (in-process server)."""
    from mcp import Client

    from tests.photo_files import encode, portrait
    from tool_server.app import build_app
    from tool_server.server import create_server
    from tool_server.settings import Settings

    first, *others = users
    settings = Settings(storage_url=str(storage), user=first, provider="offline", _env_file=None)  # type: ignore[call-arg]
    app = build_app(settings, "stdio")
    identities: dict[str, list[str]] = {}
    async with Client(create_server(settings, "stdio", app=app), raise_exceptions=True) as client:
        photo = base64.b64encode(encode(portrait())).decode()
        added = await client.call_tool("add_reference_photo", {"image_base64": photo})
        if added.is_error:
            raise SystemExit(f"seeding failed: {added.content[0].text}")
        for number in range(identities_per_user):
            saved = await client.call_tool(
                "save_identity",
                {"name": f"Speaker {number}", "visualization": "Giving a keynote on a big stage"},
            )
            identities.setdefault(first, []).append(saved.structured_content["identity_id"])
    # Other users get a copy of the first user's folder, keys rewritten (faster than face analysis).
    for user in others:
        source, target = storage / "users" / first, storage / "users" / user
        shutil.copytree(source, target)
        for document in target.rglob("*.json"):
            document.write_text(document.read_text().replace(f"users/{first}/", f"users/{user}/"))
        identities[user] = list(identities[first])
    return identities


# --- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(
    storage: Path,
    port: int,
    fake: FakeOpenAI,
    sessions: int,
    jwt_secret: str | None,
    extra_env: dict[str, str] | None = None,
) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_IMAGE_")}
    env.update(
        PYTHONPATH=str(ROOT),
        COACH_IMAGE_STORAGE_URL=str(storage),
        COACH_IMAGE_USER=LOAD_USER,
        COACH_IMAGE_HOST="127.0.0.1",
        COACH_IMAGE_PORT=str(port),
        COACH_IMAGE_PROVIDER="openai",
        COACH_IMAGE_PROVIDER_FALLBACK='["openai"]',
        COACH_IMAGE_PROVIDER_MAX_CONCURRENCY=str(min(64, sessions)),
        COACH_IMAGE_PROVIDER_TIMEOUT_S="60",
        COACH_IMAGE_MAX_ATTEMPTS="1",
        COACH_IMAGE_DEFAULT_CANDIDATES="1",
        COACH_IMAGE_LOG_LEVEL="WARNING",
        # Throughput, not quotas: no per-user rate limit or daily budget (tests/security covers those).
        COACH_IMAGE_RATE_LIMIT="",
        COACH_IMAGE_DAILY_BUDGET_USD="0",
        OPENAI_API_KEY="sk-load-test-not-a-real-key",
        OPENAI_BASE_URL=fake.base_url,
    )
    if jwt_secret:
        env["COACH_IMAGE_JWT_SECRET"] = jwt_secret
    env.update(extra_env or {})
    log = open(storage.parent / f"server-{port}.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "tool_server", "serve", "--transport", "http", "--port", str(port)],
        env=env,
        cwd=str(storage.parent),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return wait_listening(process, port, 60, "the server", storage.parent / f"server-{port}.log")


def wait_listening(process: Any, port: int, within_s: float, name: str, log: Path) -> Any:
    """`process` once something accepts connections on `port`; SystemExit if it exits or times out."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited: see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{name} did not listen within {within_s:.0f} s")


# --- several instances behind haproxy (deploy/haproxy.cfg), sharing redis-server -----------------


def start_process(argv: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> Any:
    """A helper process (redis-server, haproxy) listening on `port` within 30 s."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
        )
    return wait_listening(process, port, 30, argv[0], log)


def start_fleet(
    storage: Path, fake: FakeOpenAI, sessions: int, jwt_secret: str | None, instances: int
) -> tuple[str, list[Any], int]:
    """redis-server, `instances` (1 or 2) servers and haproxy round-robin: (url, processes, redis port)."""
    for binary in ("redis-server", "haproxy"):
        if shutil.which(binary) is None:
            raise SystemExit(f"--instances needs {binary} (apt-get install {binary})")
    redis_port = free_port()
    redis = start_process(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        redis_port,
        storage.parent / "redis.log",
    )
    shared = {
        "COACH_IMAGE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        # The shared paths are on: a budget and a rate limit nobody reaches.
        "COACH_IMAGE_DAILY_BUDGET_USD": "100000",
        "COACH_IMAGE_RATE_LIMIT": "1000000/minute",
    }
    ports = [free_port() for _ in range(instances)]
    servers = [start_server(storage, port, fake, sessions, jwt_secret, shared) for port in ports]
    lb_port = free_port()
    env = dict(
        os.environ,
        COACH_LB_BIND=f"127.0.0.1:{lb_port}",
        COACH_INSTANCE_1=f"127.0.0.1:{ports[0]}",
        COACH_INSTANCE_2=f"127.0.0.1:{ports[-1]}",  # one instance: both lines name it
    )
    haproxy = start_process(
        ["haproxy", "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
        lb_port,
        storage.parent / "haproxy.log",
        env,
    )
    return f"http://127.0.0.1:{lb_port}/mcp", [*servers, haproxy, redis], redis_port


def redis_commands(port: int) -> dict[str, int]:
    """Commands the Redis server has executed so far, by command (INFO commandstats), less INFO."""
    import redis

    client = redis.Redis(port=port)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info"}


def rss_kb(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
