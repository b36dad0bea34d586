"""A fleet on loopback: redis-server, moto's S3 server, two server processes and haproxy.

haproxy runs `deploy/haproxy.cfg`, the documented deployment, with its addresses from the
environment. Every port is free at start; every process is stopped at the end. A missing
binary skips these tests on a developer machine and fails them in CI (CI=true).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.fakes.fake_openai import FakeOpenAI
from tests.fakes.http_fake import RecordedRequest, Reply
from tests.security.conftest import SECRET, mint

ROOT = Path(__file__).resolve().parents[2]
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
BUDGET_USD = 0.5
LEASE_S = 2.0

pytestmark = pytest.mark.slow
Process = subprocess.Popen[bytes]


def need(binary: str) -> str:
    """The binary's path; without it, skip (developer machine) or fail (CI must have it)."""
    path = shutil.which(binary)
    if path is None:
        reason = f"{binary} is not installed (apt-get install {binary}; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.name}: the process exited: {log.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after 90 s: {log.read_text()[-2000:]}")


class SlowOpenAI(FakeOpenAI):
    """The fake OpenAI answering after `delay_s`, so that parallel calls overlap.

    `image_tokens`, when set, is the output the usage block reports (what a call costs).
    """

    delay_s = 1.0
    image_tokens: int | None = None

    def default_reply(self, request: RecordedRequest) -> Reply:
        reply = dataclasses.replace(super().default_reply(request), delay_s=self.delay_s)
        if self.image_tokens is not None and isinstance(reply.json, dict):
            usage = reply.json["usage"]
            usage["output_tokens"] = usage["output_tokens_details"]["image_tokens"] = self.image_tokens
        return reply


@dataclass
class Fleet:
    url: str  # the balancer's /mcp
    instances: list[subprocess.Popen[bytes]]
    instance_urls: list[str]
    redis_url: str
    s3: str
    fake: SlowOpenAI

    @asynccontextmanager
    async def client(self, user: str, mode: str = "auto") -> AsyncIterator[Client]:
        headers = {"Authorization": f"Bearer {mint(user)}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60.0)) as http,
            Client(streamable_http_client(self.url, http_client=http), mode=mode) as client,
        ):
            yield client

    def served_tool_calls(self) -> list[float]:
        """Tool calls each live instance counted (its Prometheus /metrics)."""
        counts = []
        for base in self.instance_urls:
            text = httpx2.get(f"{base}/metrics", headers={"Authorization": f"Bearer {mint('ops')}"}).text
            counts.append(
                sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in text.splitlines()
                    if line.startswith("coach_tool_calls_total{")
                )
            )
        return counts


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    redis_server, haproxy = need("redis-server"), need("haproxy")
    from moto.server import ThreadedMotoServer

    logs = tmp_path_factory.mktemp("fleet")
    processes: list[subprocess.Popen[bytes]] = []

    def start(
        name: str, argv: list[str], port: int, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = logs / f"{name}.log"
        with log.open("wb") as output:  # the child keeps its own descriptor
            process = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT
            )
        processes.append(process)
        wait_until_listening(port, process, log)
        return process

    s3_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    moto.start()
    fake = SlowOpenAI().start()
    try:
        s3 = f"http://127.0.0.1:{s3_port}"
        aws = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        s3_client(s3).create_bucket(Bucket="fleet")
        redis_port = free_port()
        start(
            "redis",
            [
                redis_server,
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
        )
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        ports = [free_port(), free_port()]
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_IMAGE_")}
        base_env.update(
            aws,
            PYTHONPATH=str(ROOT),
            COACH_IMAGE_STORAGE_URL="s3://fleet/data",
            COACH_IMAGE_S3_ENDPOINT_URL=s3,
            COACH_IMAGE_REDIS_URL=redis_url,
            COACH_IMAGE_JWT_SECRET=SECRET,
            COACH_IMAGE_RATE_LIMIT="10000/minute",
            COACH_IMAGE_DAILY_BUDGET_USD=str(BUDGET_USD),
            COACH_IMAGE_RUN_LEASE_S=str(LEASE_S),
            COACH_IMAGE_SYNC_DEADLINE_S="20",
            COACH_IMAGE_PROVIDER="openai",
            COACH_IMAGE_PROVIDER_FALLBACK='["openai"]',
            COACH_IMAGE_PROVIDER_MAX_RETRIES="0",
            COACH_IMAGE_MAX_ATTEMPTS="1",
            COACH_IMAGE_DEFAULT_CANDIDATES="1",
            COACH_IMAGE_FACE_PROCESSES="1",
            OPENAI_API_KEY="sk-fleet-test",
            OPENAI_BASE_URL=fake.base_url,
        )
        instances = []
        for number, port in enumerate(ports, 1):
            argv = [sys.executable, "-m", "tool_server", "serve", "--transport", "http", "--port", str(port)]
            instances.append(start(f"instance{number}", argv, port, base_env))
        lb_port = free_port()
        lb_env = dict(
            os.environ,
            COACH_LB_BIND=f"127.0.0.1:{lb_port}",
            COACH_INSTANCE_1=f"127.0.0.1:{ports[0]}",
            COACH_INSTANCE_2=f"127.0.0.1:{ports[1]}",
        )
        start("haproxy", [haproxy, "-db", "-f", str(HAPROXY_CFG)], lb_port, lb_env)
        yield Fleet(
            url=f"http://127.0.0.1:{lb_port}/mcp",
            instances=instances,
            instance_urls=[f"http://127.0.0.1:{port}" for port in ports],
            redis_url=redis_url,
            s3=s3,
            fake=fake,
        )
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        fake.stop()
        moto.stop()


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def redis_get(fleet: Fleet, key: str) -> Any:
    import redis

    client = redis.Redis.from_url(fleet.redis_url, decode_responses=True)
    try:
        return client.get(key)
    finally:
        client.close()
