"""Load: N concurrent streamable-HTTP MCP sessions against the real server, fake providers with delays.

    python benchmarks/load.py [--sessions 100] [--duration 60] [--delay 2 8] [--max-requests 3000]
                              [--image face|tiny] [--dog-every 4] [--jwt-secret SECRET --users 10]
                              [--instances 0|1|2]

The server runs as a subprocess (`python -m tool_server serve --transport http`, a real uvicorn on
a free loopback port); the OpenAI API is the test suite's fake (`tests/fakes`), answering every
request after a random delay within `--delay`. Each session calls generate_identity_image (and
dog_avatar every `--dog-every`th call, when tools/list has it) until `--duration` is over, polling
get_run when an answer is pending. Prints requests done, errors, latency percentiles beside the
provider delay, and the server's peak RSS. Loopback only; bounded in sessions, requests and time.

`--instances 1|2` runs that many servers on one storage directory, sharing a redis-server,
behind haproxy round-robin with `deploy/haproxy.cfg`, and also prints the Redis commands per tool
call (INFO commandstats before and after).

Without auth on HTTP every session acts as COACH_IMAGE_USER (one user, one identity per session).
With `--jwt-secret` (or COACH_IMAGE_JWT_SECRET) the server is given the secret and each session
sends an HS256 bearer token for one of `--users` users (`sub`, `exp`, `scope`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load_setup import (  # noqa: E402
    LOAD_USER,
    SlowOpenAI,
    free_port,
    redis_commands,
    rss_kb,
    scene_png,
    seed,
    start_fleet,
    start_server,
)

MAX_SESSIONS = 500
# What the ledger's and the rate limiter's Lua scripts call inside Redis (not round trips).
IN_SCRIPTS = {"get", "incrbyfloat", "expire", "pexpire", "del", "lrange", "lpush", "ltrim", "lindex", "llen"}
MAX_DURATION_S = 600


# --- the sessions ---------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"identity": [], "dog": []})
    errors: Counter[str] = field(default_factory=Counter)
    started: int = 0
    pending_answers: int = 0


def token_for(secret: str | None, user: str) -> str | None:
    return mint_token(secret, user) if secret else None


def mint_token(secret: str, user: str) -> str:
    import jwt  # PyJWT, only needed with --jwt-secret

    now = int(time.time())
    claims = {"sub": user, "iat": now, "exp": now + 3600, "scope": "images:read images:write"}
    return str(jwt.encode(claims, secret, algorithm="HS256"))


async def session(
    number: int,
    url: str,
    user: str,
    identity_id: str,
    token: str | None,
    args: argparse.Namespace,
    stop_at: float,
    stats: Stats,
) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300))
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        dog_job = dog_job_from(tools.get("dog_avatar"))
        calls = 0
        while time.monotonic() < stop_at and stats.started < args.max_requests:
            stats.started += 1
            calls += 1
            kind = "dog" if dog_job and args.dog_every and calls % args.dog_every == 0 else "identity"
            started = time.monotonic()
            try:
                if kind == "dog":
                    result = await client.call_tool("dog_avatar", {"job": dog_job})
                else:
                    result = await client.call_tool(
                        "generate_identity_image",
                        {"identity_id": identity_id, "candidates": 1, "strategy": "direct"},
                    )
                    result = await until_done(client, result, stats)
            except Exception as exc:  # counted, not fatal: the point is to see them
                stats.errors[f"{kind}: {type(exc).__name__}: {str(exc)[:120]}"] += 1
                continue
            if result.is_error:
                stats.errors[f"{kind}: {result.content[0].text[:160]}"] += 1
                continue
            stats.latencies[kind].append(time.monotonic() - started)


async def until_done(client: Any, result: Any, stats: Stats) -> Any:
    """Poll get_run while the answer is pending, as a coach would."""
    while not result.is_error and (result.structured_content or {}).get("status") == "pending":
        stats.pending_answers += 1
        await asyncio.sleep(1.0)
        result = await client.call_tool("get_run", {"run_id": result.structured_content["run_id"]})
    return result


def dog_job_from(tool: Any) -> str | None:
    if tool is None:
        return None
    job = tool.input_schema.get("properties", {}).get("job", {})
    choices = job.get("enum") or [
        choice.get("const") for choice in job.get("anyOf", []) + job.get("oneOf", []) if "const" in choice
    ]
    if choices:
        return str(choices[0])
    from tool_server.dogs.jobs import job_names  # the job is free text, checked against this table

    return sorted(job_names())[0]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def drive(args: argparse.Namespace) -> dict[str, Any]:
    jwt_secret = args.jwt_secret or os.environ.get("COACH_IMAGE_JWT_SECRET")
    users = [f"{LOAD_USER}-{i}" for i in range(args.users)] if jwt_secret else [LOAD_USER]
    work = Path(tempfile.mkdtemp(prefix="coach-load-"))
    storage = work / "data"
    per_user = -(-args.sessions // len(users))
    print(f"seeding {len(users)} user(s) with {per_user} identities each in {storage} ...", flush=True)
    identities = await seed(storage, users, per_user)
    fake = SlowOpenAI(scene_png(args.image), tuple(args.delay)).start()
    redis_port = 0
    if args.instances:
        url, processes, redis_port = start_fleet(storage, fake, args.sessions, jwt_secret, args.instances)
        server = processes[0]
    else:
        port = free_port()
        server = start_server(storage, port, fake, args.sessions, jwt_secret)
        processes = [server]
        url = f"http://127.0.0.1:{port}/mcp"
    stats = Stats()
    peak_sampled = 0

    async def sample_rss() -> None:
        nonlocal peak_sampled
        while True:
            peak_sampled = max(peak_sampled, rss_kb(server.pid, "VmRSS"))
            await asyncio.sleep(0.5)

    # One call first: the server loads its face models on first use; that is not load behaviour.
    warm = Stats()
    await session(
        -1,
        url,
        users[0],
        identities[users[0]][0],
        token_for(jwt_secret, users[0]),
        argparse.Namespace(**{**vars(args), "max_requests": 1}),
        time.monotonic() + 60,
        warm,
    )
    fake.delays.clear()
    if warm.errors:
        print(f"warm-up call failed: {dict(warm.errors)}", flush=True)
    print(f"server pid {server.pid} on {url}; {args.sessions} sessions for {args.duration:.0f} s", flush=True)
    redis_before = redis_commands(redis_port) if redis_port else {}
    began = time.monotonic()
    stop_at = began + args.duration
    sampler = asyncio.create_task(sample_rss())
    try:
        tasks = []
        for number in range(args.sessions):
            user = users[number % len(users)]
            identity = identities[user][number // len(users)]
            token = token_for(jwt_secret, user)
            tasks.append(
                asyncio.create_task(session(number, url, user, identity, token, args, stop_at, stats))
            )
        done, pending = await asyncio.wait(tasks, timeout=args.duration + args.grace)
        for task in pending:
            task.cancel()
            stats.errors["session still busy after the grace period (cancelled)"] += 1
        for task in done:
            if task.exception() is not None:
                exc = task.exception()
                stats.errors[f"session failed: {type(exc).__name__}: {str(exc)[:160]}"] += 1
        elapsed = time.monotonic() - began
        redis_used = None
        if redis_port:
            after = redis_commands(redis_port)
            redis_used = {
                k: n - redis_before.get(k, 0) for k, n in after.items() if n > redis_before.get(k, 0)
            }
    finally:
        sampler.cancel()
        peak_hwm = rss_kb(server.pid, "VmHWM")
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        fake.stop()
    return {
        "stats": stats,
        "elapsed": elapsed,
        "peak_rss_mb": max(peak_hwm, peak_sampled) / 1024,
        "provider_delays": fake.delays,
        "provider_max_in_flight": fake.max_in_flight,
        "work": work,
        "redis_commands": redis_used,
    }


def report(args: argparse.Namespace, outcome: dict[str, Any]) -> int:
    stats: Stats = outcome["stats"]
    done = sum(len(values) for values in stats.latencies.values())
    errors = sum(stats.errors.values())
    delays = outcome["provider_delays"]
    print()
    print(f"sessions            {args.sessions} (HTTP, loopback), ran {outcome['elapsed']:.1f} s")
    print(
        f"requests done       {done} ({done / outcome['elapsed']:.2f}/s), pending answers polled "
        f"{stats.pending_answers}"
    )
    print(f"errors              {errors}")
    for message, count in stats.errors.most_common(8):
        print(f"    {count:5d} x {message}")
    if delays:
        print(
            f"provider delay      mean {statistics.mean(delays):.2f} s, p50 {percentile(delays, 0.5):.2f} s, "
            f"p99 {percentile(delays, 0.99):.2f} s over {len(delays)} calls "
            f"(at most {outcome['provider_max_in_flight']} in flight)"
        )
    for kind, values in stats.latencies.items():
        if values:
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            above = f", p50 {p50 - statistics.mean(delays):+.2f} s vs mean provider delay" if delays else ""
            print(
                f"latency {kind:<11} n={len(values)} p50 {p50:.2f} s, p90 {percentile(values, 0.9):.2f} s, "
                f"p99 {p99:.2f} s, max {max(values):.2f} s{above}"
            )
    print(f"server peak RSS     {outcome['peak_rss_mb']:.0f} MB")
    if outcome["redis_commands"] is not None:
        tool_calls = done + stats.pending_answers  # every call and every get_run poll
        commands = {k: n for k, n in outcome["redis_commands"].items() if n}
        # Commands a Lua script runs inside Redis are counted too, but cost no round trip.
        trips = sum(n for k, n in commands.items() if k not in IN_SCRIPTS)
        print(
            f"redis round trips   {trips} for {tool_calls} tool calls: {trips / max(1, tool_calls):.2f} "
            f"per call ({args.instances} instance(s) behind haproxy); commands {commands}"
        )
    if args.keep:
        print(f"(storage and server log kept in {outcome['work']})")
    else:
        shutil.rmtree(outcome["work"], ignore_errors=True)
    return 0 if errors == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=100, help="Concurrent HTTP MCP sessions.")
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds during which calls start.")
    parser.add_argument("--grace", type=float, default=120.0, help="Seconds allowed for calls in flight.")
    parser.add_argument("--delay", type=float, nargs=2, default=(2.0, 8.0), metavar=("MIN", "MAX"))
    parser.add_argument("--max-requests", type=int, default=3000, help="Upper bound on calls started.")
    parser.add_argument(
        "--image",
        choices=("face", "tiny"),
        default="face",
        help="face: a 1024 px image with the user's face (likeness is measured); tiny: 8 px.",
    )
    parser.add_argument("--dog-every", type=int, default=4, help="Every Nth call is dog_avatar (0: never).")
    parser.add_argument("--jwt-secret", default=None, help="Mint HS256 bearer tokens with this secret.")
    parser.add_argument("--users", type=int, default=10, help="Distinct users when tokens are minted.")
    parser.add_argument("--keep", action="store_true", help="Keep the storage and the server log.")
    parser.add_argument(
        "--instances",
        type=int,
        default=0,
        choices=(0, 1, 2),
        help="0: one server, direct; 1 or 2: servers sharing redis-server behind haproxy (deploy/).",
    )
    args = parser.parse_args()
    import logging

    for noisy in ("httpx2", "httpx", "mcp", "tool_server"):  # the figures are the output
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not 1 <= args.sessions <= MAX_SESSIONS or not 0 < args.duration <= MAX_DURATION_S:
        parser.error(f"--sessions must be 1..{MAX_SESSIONS} and --duration 0..{MAX_DURATION_S}")
    if args.delay[0] < 0 or args.delay[1] < args.delay[0]:
        parser.error("--delay MIN MAX with 0 <= MIN <= MAX")
    return report(args, asyncio.run(drive(args)))


if __name__ == "__main__":
    sys.exit(main())
