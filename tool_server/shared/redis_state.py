"""Shared state on Redis (or Valkey): every instance pointed at the same URL shares it.

Ledger updates are Lua scripts, so a check and its change are one atomic step on the server.
Totals are kept as strings of USD (INCRBYFLOAT); Lua numbers would be truncated to integers.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from limits.storage import Storage

PREFIX = "coach-image:"

_RESERVE = """
local stored = redis.call('GET', KEYS[1])
if not stored then return {-1, '0'} end
local total = tonumber(stored)
local amount = tonumber(ARGV[1])
if total + amount > tonumber(ARGV[2]) + 1e-9 then
  return {0, tostring(total)}
end
local after = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, after}
"""
_ADD = """
local after = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return after
"""
# Renew or release only a lock this holder still owns (its token), never one another took over.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisState:
    def __init__(self, url: str) -> None:
        import redis.asyncio

        self.url = url
        self._client: Any = redis.asyncio.Redis.from_url(url, decode_responses=True)
        self._reserve = self._client.register_script(_RESERVE)
        self._add = self._client.register_script(_ADD)
        self._renew = self._client.register_script(_RENEW)
        self._release = self._client.register_script(_RELEASE)

    @property
    def description(self) -> str:
        host = self.url.split("@")[-1].split("://")[-1]
        return f"shared state on Redis at {host}: several instances may serve behind a balancer"

    def rate_storage(self) -> Storage:
        from limits.storage import RedisStorage

        return RedisStorage(self.url, key_prefix=PREFIX + "rate")

    async def ledger_total(self, key: str) -> float | None:
        value = await self._client.get(PREFIX + key)
        return None if value is None else float(value)

    async def ledger_seed(self, key: str, value: float, ttl_s: int) -> None:
        await self._client.set(PREFIX + key, repr(value), ex=ttl_s, nx=True)

    async def ledger_reserve(
        self, key: str, amount: float, limit: float, ttl_s: int
    ) -> tuple[bool, float] | None:
        added, total = await self._reserve(keys=[PREFIX + key], args=[repr(amount), repr(limit), ttl_s])
        return None if added == -1 else (bool(added), round(float(total), 6))

    async def ledger_add(self, key: str, delta: float, ttl_s: int) -> float:
        return round(float(await self._add(keys=[PREFIX + key], args=[repr(delta), ttl_s])), 6)

    @asynccontextmanager
    async def lock(self, key: str, ttl_s: float) -> AsyncIterator[None]:
        name, token, ttl_ms = PREFIX + "lock:" + key, secrets.token_hex(16), max(1000, int(ttl_s * 1000))
        delay = 0.02
        while not await self._client.set(name, token, px=ttl_ms, nx=True):
            await anyio.sleep(delay)  # another instance holds it: poll, backing off to 0.25 s
            delay = min(0.25, delay * 1.5)
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._keep, name, token, ttl_ms)
                try:
                    yield
                finally:
                    group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self._release(keys=[name], args=[token])

    async def _keep(self, name: str, token: str, ttl_ms: int) -> None:
        while True:
            await anyio.sleep(ttl_ms / 3000)
            await self._renew(keys=[name], args=[token, ttl_ms])

    async def close(self) -> None:
        await self._client.aclose()
