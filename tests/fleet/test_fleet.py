"""Two instances behind haproxy round-robin, sharing Redis and one S3 bucket, behave like one server.

Each test prints the figure the issue asks for (no timed assertions: bounds are fail_after).
The last test kills an instance, so it stays last.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from tests.dogs import fakes as dog_fakes
from tests.fakes.fake_openai import images_reply, usage_block
from tests.fleet.conftest import BUDGET_USD, Fleet, redis_get, s3_client
from tests.photo_files import encode, portrait
from tool_server.auth.subjects import user_for_subject
from tool_server.quotas.budget import ledger_key
from tool_server.shared.redis_state import PREFIX

pytestmark = pytest.mark.slow

MODES = ("legacy", "auto")  # the handshake era and the 2026-07-28 era


async def seed(fleet: Fleet, user: str) -> str:
    """A reference photo and an identity for `user`; returns the identity id."""
    async with fleet.client(user) as client:
        photo = base64.b64encode(encode(portrait())).decode()
        added = await client.call_tool("add_reference_photo", {"image_base64": photo})
        assert not added.is_error, added.content
        saved = await client.call_tool("save_identity", {"name": "Speaker", "visualization": "On a stage"})
        assert not saved.is_error, saved.content
        return str(saved.structured_content["identity_id"])


def text(result: Any) -> str:
    return str(result.content[0].text) if result.content else ""


def edits(fleet: Fleet) -> int:
    return len([r for r in fleet.fake.requests if r.path.endswith("/images/edits")])


async def test_sessions_work_through_round_robin_in_both_protocol_eras(fleet: Fleet) -> None:
    before = fleet.served_tool_calls()
    outcomes: list[bool] = []

    async def session(number: int) -> None:
        async with fleet.client(f"visitor-{number}", MODES[number % 2]) as client:
            tools = await client.list_tools()
            results = [await client.call_tool("list_identities", {}) for _ in range(3)]
            profile = await client.call_tool("set_body_profile", {"height": "tall"})
        outcomes.append(
            len(tools.tools) > 5 and not profile.is_error and not any(r.is_error for r in results)
        )

    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            for number in range(10):
                group.start_soon(session, number)
    after = fleet.served_tool_calls()
    print(f"\nFIGURE sessions through round-robin: {outcomes.count(True)} of {len(outcomes)}")
    assert outcomes == [True] * 10
    assert all(b > a for a, b in zip(before, after, strict=True)), (before, after)  # both instances served


async def test_progress_notifications_reach_the_client_through_the_balancer(fleet: Fleet) -> None:
    identity = await seed(fleet, "progress-user")
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    for mode in MODES:
        async with fleet.client("progress-user", mode) as client:
            with anyio.fail_after(60):
                made = await client.call_tool(
                    "generate_identity_image",
                    {"identity_id": identity, "candidates": 1, "strategy": "direct"},
                    progress_callback=on_progress,
                )
        assert not made.is_error, made.content
        assert messages, mode
        messages.clear()


async def test_parallel_paid_calls_never_pass_the_budget_and_delete_my_data_keeps_the_spend(
    fleet: Fleet,
) -> None:
    user = "budget-user"
    identity = await seed(fleet, user)
    calls_before = edits(fleet)

    async def generate(number: int, out: list[Any]) -> None:
        async with fleet.client(user, MODES[number % 2]) as client:
            out.append(
                await client.call_tool(
                    "generate_identity_image",
                    {"identity_id": identity, "candidates": 1, "strategy": "direct"},
                )
            )

    results: list[Any] = []
    fleet.fake.image_tokens = 5500  # about $0.17 a call, under the $0.18 or more reserved for it
    try:
        with anyio.fail_after(180):
            async with anyio.create_task_group() as group:
                for number in range(12):
                    group.start_soon(generate, number, results)
    finally:
        fleet.fake.image_tokens = None
    key = PREFIX + ledger_key(user_for_subject(user), datetime.now(UTC).date())
    spent = float(redis_get(fleet, key))
    paid = edits(fleet) - calls_before
    refused = [r for r in results if r.is_error and "image budget for today" in text(r)]
    figure = f"${spent:.4f} spent, {paid} paid, {len(refused)} refused"
    print(f"\nFIGURE 12 parallel calls on a ${BUDGET_USD:.2f} budget: {figure}")
    assert spent <= BUDGET_USD
    assert paid >= 1 and paid + len(refused) == 12
    assert all(r.structured_content["status"] != "pending" for r in results if not r.is_error)

    async with fleet.client(user) as client:
        deleted = await client.call_tool("delete_my_data", {"confirm": True})
    assert not deleted.is_error, deleted.content
    assert float(redis_get(fleet, key)) == spent  # accounting, not user data: kept
    identity = await seed(fleet, user)
    async with fleet.client(user) as client:
        again = await client.call_tool(
            "generate_identity_image", {"identity_id": identity, "candidates": 1, "strategy": "direct"}
        )
    assert again.is_error and "image budget for today" in text(again)
    assert edits(fleet) - calls_before == paid  # nothing more reached the provider


async def test_identical_cold_dog_requests_on_two_instances_make_one_provider_call(fleet: Fleet) -> None:
    reply = images_reply([dog_fakes.good_png()], usage=usage_block("medium", "1024x1024", 1))
    reply.delay_s = 2.0
    fleet.fake.enqueue(reply)
    calls_before = edits(fleet)
    results: list[Any] = []

    async def ask(number: int) -> None:
        async with fleet.client(f"dog-user-{number % 4}", MODES[number % 2]) as client:
            results.append(await client.call_tool("dog_avatar", {"job": "teacher"}))

    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            for number in range(20):
                group.start_soon(ask, number)
    calls = edits(fleet) - calls_before
    print(f"\nFIGURE provider calls for 20 identical cold dog requests over 2 instances: {calls}")
    assert [r.is_error for r in results] == [False] * 20, [text(r) for r in results if r.is_error]
    assert calls == 1
    assert len({r.structured_content["image_key"] for r in results}) == 1


async def test_no_update_is_lost_when_both_instances_save_for_one_user_at_once(fleet: Fleet) -> None:
    user = "writer"

    async def save(number: int) -> None:
        async with fleet.client(user, MODES[number % 2]) as client:
            saved = await client.call_tool(
                "save_identity", {"name": f"Identity {number}", "visualization": f"Scene number {number}"}
            )
            assert not saved.is_error, saved.content

    with anyio.fail_after(120):
        async with anyio.create_task_group() as group:
            for number in range(10):
                group.start_soon(save, number)
    async with fleet.client(user) as client:
        listed = await client.call_tool("list_identities", {})
    names = {item["name"] for item in listed.structured_content["identities"]}
    assert names == {f"Identity {n}" for n in range(10)}


async def test_a_killed_instances_run_reads_interrupted_through_the_other_instance(fleet: Fleet) -> None:
    user = "crash-user"
    identity = await seed(fleet, user)
    slow = images_reply([dog_fakes.good_png()], usage=usage_block("high", "1024x1536", 1))
    slow.delay_s = 120.0
    fleet.fake.enqueue(slow)
    s3 = s3_client(fleet.s3)
    prefix = f"data/users/{user_for_subject(user)}/runs/"

    def running_record() -> dict[str, Any] | None:
        for item in s3.list_objects_v2(Bucket="fleet", Prefix=prefix).get("Contents", []):
            if item["Key"].endswith("/run.json"):
                record = json.loads(s3.get_object(Bucket="fleet", Key=item["Key"])["Body"].read())
                if record["status"] == "running":
                    return dict(record)
        return None

    async def start_generation() -> None:
        async with fleet.client(user) as client:
            await client.call_tool("generate_identity_image", {"identity_id": identity, "candidates": 1})

    async with anyio.create_task_group() as group:
        group.start_soon(start_generation)
        with anyio.fail_after(60):
            while True:  # until the provider is drawing (the slow reply was taken)
                record = running_record()
                if record is not None and fleet.fake.pending() == 0:
                    break
                await anyio.sleep(0.2)
        owner = record["owner_pid"]
        assert owner in [p.pid for p in fleet.instances]
        os.kill(owner, signal.SIGKILL)
        killed_at = time.monotonic()
        group.cancel_scope.cancel()

    assert record is not None
    status = "running"
    with anyio.fail_after(30):  # the bound: interrupted within 30 s of the death
        while status in ("running", "pending"):
            await anyio.sleep(0.25)
            async with fleet.client(user) as client:
                polled = await client.call_tool("get_run", {"run_id": record["run_id"]})
            status = polled.structured_content["status"]
    seconds = time.monotonic() - killed_at
    print(f"\nFIGURE seconds until a killed instance's run reads interrupted: {seconds:.1f}")
    assert status == "interrupted"
    assert "Run it again" in polled.structured_content["message"]
