"""A run record for each dog avatar that reached a provider, in the requesting user's runs.

Dog avatars are shared (cached for every user), but the user whose request made one paid for it:
the record carries its provider calls and cost (the daily budget is summed from run records) and
each attempt's image, like every other run (`coach://runs/{run_id}`, the gallery).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tool_server.dogs.cache import DogAvatarRecord, DogCacheKey
from tool_server.errors import ToolServerError
from tool_server.mime import sniff_mime
from tool_server.runs import RunStore

if TYPE_CHECKING:
    from tool_server.dogs.service import RunLog


def dog_run_log(runs: RunStore) -> RunLog:
    """The service's `run_log`: one run record per generation, done or failed."""

    async def log(
        user: str,
        key: DogCacheKey,
        calls: list[dict[str, Any]],
        images: list[bytes],
        record: DogAvatarRecord | None,
        error: ToolServerError | None,
    ) -> None:
        inputs = {
            "job": key.job,
            "size": key.size,
            "background": key.background,
            "model": key.model,
            "base_hash": key.base_hash,
        }
        recorder = await runs.start(user, "dog_avatar", inputs, key.prompt_version)
        for attempt, data in enumerate(images, start=1):
            await recorder.save_step(
                f"attempt_{attempt}", data, sniff_mime(data) or "image/png", "output", attempt=attempt
            )
        recorder.record.calls.extend(calls)
        if record is None:
            await recorder.fail(error or ToolServerError("The dog avatar was not made."))
            return
        await recorder.finish(
            {
                "job": record.job,
                "image_key": record.image_key,
                "needs_review": record.needs_review,
                "failed_checks": record.failed_checks,
                "cost_usd": record.cost_usd,
                "attempts": record.attempts,
                "provider": record.provider,
                "model": record.model,
            }
        )

    return log
