"""generate_all_identity_images: one generation run per identity, a few at a time, budget checked first.

Everything that could refuse is checked before anything is paid: each identity's plan (photos,
strategy preconditions) and the estimated cost of a first round for all of them against what is
left of the user's daily budget. Each identity then gets its own run (like generate_identity_image);
the batch's own run record holds only the per-identity outcomes, so spend is never counted twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio

from storage import StorageError
from tool_server.app import AppContext
from tool_server.errors import LimitExceeded, PreconditionMissing, ToolServerError
from tool_server.faces.records import verdict_of
from tool_server.generation.calls import Progress
from tool_server.generation.engine import GenerateOptions, Plan, plan_generation, run_generation
from tool_server.prompts.identity import PROMPT_VERSION
from tool_server.providers.capabilities import capabilities_for
from tool_server.providers.pricing import estimate_image_cost
from tool_server.userdata.models import Identity

CALLS_PER_CANDIDATE = {"direct": 1, "avatar": 1, "generic_swap": 2, "refine": 1}


@dataclass
class BatchPlan:
    plans: list[Plan]
    skipped: list[Identity]
    estimate_usd: float


def _first_round_cost(app: AppContext, plan: Plan) -> float:
    provider = app.providers.resolve(plan.options.provider, model=plan.options.model)
    model = plan.options.model or app.providers.get(provider).default_model()
    caps = capabilities_for(model, provider)
    per_image = estimate_image_cost(caps.prices, provider, plan.options.quality, plan.options.size)
    return per_image * plan.options.candidates * CALLS_PER_CANDIDATE[plan.strategies[0]]


async def plan_batch(
    app: AppContext, user: str, options: GenerateOptions, include_accepted: bool
) -> BatchPlan:
    """Plan every run and check the budget; raises (nothing paid) when any of it cannot go ahead."""
    identities = await app.identities.list(user)
    if not identities:
        raise PreconditionMissing("No identity saved yet: save_identity first, then generate.")
    targets = [i for i in identities if include_accepted or not i.accepted_image_id]
    skipped = [i for i in identities if i not in targets]
    plans = [await plan_generation(app, user, i.identity_id, options) for i in targets]
    estimate = round(sum(_first_round_cost(app, plan) for plan in plans), 4)
    remaining = await app.budget.remaining(user)
    if remaining is not None and estimate > remaining:
        raise LimitExceeded(
            f"Images for {len(plans)} identities would cost about ${estimate:.2f}, but only "
            f"${remaining:.2f} of today's budget is left. Nothing was generated: generate the most "
            "important ones with generate_identity_image, or wait until after midnight UTC."
        )
    return BatchPlan(plans, skipped, estimate)


async def run_batch(app: AppContext, user: str, batch: BatchPlan, progress: Progress) -> dict[str, Any]:
    """Run each plan as its own run, `batch_concurrency` at a time; returns the batch run's result."""
    started = time.monotonic()
    outcomes: dict[str, dict[str, Any]] = {}
    limiter = anyio.CapacityLimiter(app.settings.batch_concurrency)
    total = len(batch.plans)

    async def one(plan: Plan) -> None:
        identity = plan.identity
        async with limiter:
            recorder = await app.runs.start(user, "identity_image", plan.inputs, PROMPT_VERSION)

            async def quiet(_message: str) -> None:
                return None

            try:
                result = await run_generation(app, user, plan, recorder, quiet)
            except (ToolServerError, StorageError) as error:
                await recorder.fail(error)
                outcomes[identity.identity_id] = _item(identity, "failed", recorder.run_id, error=str(error))
            except BaseException as error:
                await recorder.fail(error)
                raise
            else:
                await recorder.finish(result)
                outcomes[identity.identity_id] = _item(identity, "done", recorder.run_id, result=result)
        await progress(f"{len(outcomes)} of {total} identities done ({identity.name})")

    async with anyio.create_task_group() as group:
        for plan in batch.plans:
            group.start_soon(one, plan)
    items = [outcomes[p.identity.identity_id] for p in batch.plans]
    items += [_item(i, "skipped", None, error="already has an accepted image") for i in batch.skipped]
    return {
        "identities": items,
        "estimated_cost_usd": batch.estimate_usd,
        "duration_s": round(time.monotonic() - started, 3),
    }


def _item(
    identity: Identity,
    status: str,
    run_id: str | None,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "identity_id": identity.identity_id,
        "name": identity.name,
        "status": status,
        "run_id": run_id,
        "error": error,
    }
    if result is not None:
        item.update(
            image_id=result["image_id"],
            likeness=verdict_of(result["likeness"]),
            needs_review=result["needs_review"],
            cost_usd=result["cost_usd"],
        )
    return item
