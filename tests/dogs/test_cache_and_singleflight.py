from __future__ import annotations

import dataclasses
from typing import Any

import anyio
import pytest

from storage import check_key
from tool_server.dogs.cache import DogCacheKey
from tool_server.dogs.singleflight import SingleFlight

KEY = DogCacheKey("dog-v2", "gpt-image-2", "support", "1024x1024", "transparent", "3fa9c1d2e4b5" + "0" * 52)


def test_the_cache_key_names_every_input() -> None:
    assert KEY.image_key == "cache/dog/dog-v2/support.1024x1024.transparent.gpt-image-2.3fa9c1d2e4b5.png"
    assert KEY.record_key == KEY.image_key.removesuffix(".png") + ".json"


@pytest.mark.parametrize(
    "change",
    [
        {"prompt_version": "dog-v3"},
        {"model": "gpt-image-1.5"},
        {"job": "chef"},
        {"size": "1536x1024"},
        {"background": "white"},
        {"base_hash": "ffffffffffff" + "0" * 52},
    ],
)
def test_the_cache_key_changes_with_each_input(change: dict[str, Any]) -> None:
    assert dataclasses.replace(KEY, **change).image_key != KEY.image_key


def test_model_names_with_odd_characters_still_give_a_valid_storage_key() -> None:
    key = dataclasses.replace(KEY, model="models/Gemini 3 Pro_Image..preview")
    assert check_key(key.image_key)
    assert ".models-gemini-3-pro-image.preview." in key.image_key


async def test_concurrent_callers_share_one_computation_and_its_value() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    release = anyio.Event()
    runs = 0
    results: list[int] = []

    async def compute() -> int:
        nonlocal runs
        runs += 1
        await release.wait()
        return 42

    async def call() -> None:
        results.append(await flights.do("k", compute))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            assert len(flights) == 1
            release.set()
    assert (runs, results) == (1, [42] * 10)
    assert len(flights) == 0


async def test_an_error_reaches_every_waiter_and_the_next_call_starts_afresh() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    release = anyio.Event()
    errors: list[Exception] = []

    async def failing() -> int:
        await release.wait()
        raise RuntimeError("provider down")

    async def call() -> None:
        try:
            await flights.do("k", failing)
        except RuntimeError as exc:
            errors.append(exc)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(call)
            await anyio.wait_all_tasks_blocked()
            release.set()

        async def ok() -> int:
            return 7

        assert [str(e) for e in errors] == ["provider down"] * 3
        assert len(flights) == 0
        assert await flights.do("k", ok) == 7


async def test_when_the_running_caller_is_cancelled_a_waiter_takes_over() -> None:
    flights: SingleFlight[str, str] = SingleFlight()
    runs: list[str] = []
    release = anyio.Event()
    results: list[str] = []

    async def compute(who: str) -> str:
        runs.append(who)
        await release.wait()
        return who

    leader_scope = anyio.CancelScope()

    async def leader() -> None:
        with leader_scope:
            await flights.do("k", lambda: compute("leader"))

    async def waiter() -> None:
        results.append(await flights.do("k", lambda: compute("waiter")))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(leader)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(waiter)
            await anyio.wait_all_tasks_blocked()
            leader_scope.cancel()
            await anyio.wait_all_tasks_blocked()
            release.set()
    assert runs == ["leader", "waiter"]
    assert results == ["waiter"]
