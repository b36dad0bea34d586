"""generate_identity_image's engine: candidates in parallel, scored for likeness, best of N.

Each attempt makes `candidates` images concurrently with one strategy and scores each against the
user's reference embeddings. The best passing candidate becomes the identity's current image; the
others stay as alternatives. If none passes, the next attempt runs (with `auto`, the next strategy
the user's data allows), up to `max_attempts`; then the best is returned with `needs_review`.
The identity document is changed once, at the end: a failed run leaves it as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import anyio

from storage import StorageError
from tool_server.app import AppContext
from tool_server.errors import InvalidInput, LimitExceeded, PreconditionMissing, ToolServerError
from tool_server.faces import Likeness
from tool_server.generation.calls import CandidateError, Progress, end_if_hopeless
from tool_server.generation.images import delete_images, save_image
from tool_server.generation.references import UserReferences, load_references
from tool_server.generation.scoring import score_likeness
from tool_server.generation.strategies import STRATEGIES, Candidate, CandidateJob, RunStrategy, Strategy
from tool_server.prompts.identity import PROMPT_VERSION
from tool_server.providers.base import Quality, ReferenceImage
from tool_server.runs import RunRecorder
from tool_server.userdata import keys
from tool_server.userdata.models import AvatarIndex, BodyProfile, Identity, ImageRecord, now


@dataclass(frozen=True)
class GenerateOptions:
    prompt: str | None = None
    strategy: Strategy | None = None  # None: auto
    candidates: int = 2
    provider: str | None = None
    model: str | None = None
    size: str = "1024x1024"
    quality: Quality = "high"


@dataclass
class Scored:
    candidate: Candidate
    likeness: Likeness
    attempt: int
    index: int
    strategy: RunStrategy
    step_index: int | None = None
    image_id: str | None = None


@dataclass
class Plan:
    """What was checked before the run started: no provider is called if this fails."""

    identity: Identity
    scene: str
    refs: UserReferences
    strategies: list[RunStrategy]
    profile: BodyProfile | None
    avatar: ReferenceImage | None
    options: GenerateOptions
    inputs: dict[str, Any] = field(default_factory=dict)
    # A refine: the image to change, the Gemini turns that made it, and its id and instruction.
    parent: ReferenceImage | None = None
    history: tuple[dict[str, Any], ...] = ()
    lineage: dict[str, str] = field(default_factory=dict)


async def plan_generation(app: AppContext, user: str, identity_id: str, options: GenerateOptions) -> Plan:
    identity = await app.identities.get(user, identity_id)
    cap = app.settings.max_images_per_identity
    if len(identity.image_ids) >= cap:
        raise LimitExceeded(
            f"Identity {identity.name!r} already has {len(identity.image_ids)} images, the most kept per "
            f"identity is {cap}. Nothing was generated. Accept one with accept_identity_visualization, "
            "or save a new identity for a new scene."
        )
    if options.prompt and len(options.prompt) > app.settings.max_prompt_chars:
        raise InvalidInput(f"prompt is longer than {app.settings.max_prompt_chars} characters; shorten it.")
    scene = identity.visualization.strip()
    if options.prompt:
        scene = f"{scene} {options.prompt.strip()}"
    refs = await load_references(app, user)
    profile = await app.profiles.get(user)
    avatars = await app.docs.read(keys.avatar_index(user), AvatarIndex) or AvatarIndex()
    approved = avatars.approved()
    avatar_ref = None
    if approved is not None:
        from tool_server.generation.images import get_image

        record = await get_image(app, user, approved.headshot_image_id)
        avatar_ref = ReferenceImage(await app.blobs.get(record.key), record.mime_type, "avatar_headshot.png")

    allowed: dict[Strategy, str | None] = {
        "direct": None,
        "generic_swap": None
        if profile.is_complete()
        else "the body profile is incomplete: ask the user for "
        + ", ".join(profile.missing())
        + " and save them with set_body_profile",
        "avatar": None
        if avatar_ref
        else "there is no approved avatar: call generate_avatar, then approve_avatar",
    }
    if options.strategy is not None:
        problem = allowed[options.strategy]
        if problem:
            raise PreconditionMissing(
                f"Strategy {options.strategy} cannot run yet: {problem}. Nothing was generated."
            )
        strategies: list[RunStrategy] = [options.strategy]
    else:
        strategies = [s for s in app.settings.strategy_order if allowed[s] is None] or ["direct"]
    inputs = {
        "identity_id": identity_id,
        "scene": scene,
        "strategy": options.strategy or "auto",
        "strategies": strategies,
        "candidates": options.candidates,
        "provider": options.provider,
        "model": options.model,
        "size": options.size,
        "quality": options.quality,
        **refs.run_inputs(app.settings.likeness_threshold),
    }
    return Plan(identity, scene, refs, strategies, profile, avatar_ref, options, inputs)


async def run_generation(
    app: AppContext, user: str, plan: Plan, recorder: RunRecorder, progress: Progress
) -> dict[str, Any]:
    """Make, score and store the candidates; returns the result stored in the run record."""
    started = time.monotonic()
    scored: list[Scored] = []
    errors: list[CandidateError] = []
    for attempt in range(1, app.settings.max_attempts + 1):
        strategy = plan.strategies[(attempt - 1) % len(plan.strategies)]
        await progress(
            f"attempt {attempt}: generating {plan.options.candidates} candidate(s) with {strategy}"
        )
        round_scored, round_errors = await _attempt(app, user, plan, recorder, attempt, strategy, progress)
        end_if_hopeless(round_scored, round_errors)
        scored.extend(round_scored)
        errors.extend(round_errors)
        if any(s.likeness.passed for s in round_scored):
            break
    if not scored:
        raise errors[0] if errors else ToolServerError("No image was produced. Try again.")

    await progress("saving")
    best = max(scored, key=lambda s: (s.likeness.passed, s.likeness.score))
    await _store_candidates(app, user, plan, recorder, scored, best)
    return {
        "identity_id": plan.identity.identity_id,
        "image_id": best.image_id,
        "needs_review": not best.likeness.passed,
        "likeness": best.likeness.model_dump(mode="json"),
        "strategy": best.strategy,
        "provider": best.candidate.provider,
        "model": best.candidate.model,
        "cost_usd": round(sum(s.candidate.cost_usd for s in scored), 6),
        "attempts": max(s.attempt for s in scored),
        "candidates": [
            {"image_id": s.image_id, "likeness": s.likeness.model_dump(mode="json"), "strategy": s.strategy}
            for s in sorted(scored, key=lambda s: -s.likeness.score)
        ],
        "duration_s": round(time.monotonic() - started, 3),
        "errors": [str(e) for e in errors],
        **plan.lineage,
    }


async def _store_candidates(
    app: AppContext, user: str, plan: Plan, recorder: RunRecorder, scored: list[Scored], best: Scored
) -> None:
    """Save every candidate as the user's image and attach them to the identity, all or nothing.

    If anything fails before the identity refers to them (storage down, disk full, the identity
    deleted), the images saved so far are deleted again: no image is left that nothing points at.
    """
    saved: list[ImageRecord] = []
    try:
        for item in scored:
            record = await save_image(
                app,
                user,
                item.candidate.data,
                "identity",
                run_id=recorder.run_id,
                identity_id=plan.identity.identity_id,
                provider=item.candidate.provider,
                model=item.candidate.model,
                likeness=item.likeness.model_dump(mode="json"),
                **plan.lineage,
            )
            saved.append(record)
            item.image_id = record.image_id
            step = next((s for s in recorder.record.steps if s.index == item.step_index), None)
            if step is not None:
                await recorder.annotate(
                    step, image_id=record.image_id, likeness=item.likeness.model_dump(mode="json")
                )

        def attach(current: Identity | None) -> Identity:
            if current is None:
                raise PreconditionMissing("The identity was deleted during the run; nothing was saved to it.")
            update: dict[str, Any] = {
                "image_ids": [*current.image_ids, *(s.image_id for s in scored if s.image_id)],
                "updated_at": now(),
            }
            if best.likeness.passed:
                update["current_image_id"] = best.image_id  # never the accepted image: that stays
            return current.model_copy(update=update)

        await app.docs.update(keys.identity(user, plan.identity.identity_id), Identity, attach)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await delete_images(app, user, saved)
        raise


async def _attempt(
    app: AppContext,
    user: str,
    plan: Plan,
    recorder: RunRecorder,
    attempt: int,
    strategy: RunStrategy,
    progress: Progress,
) -> tuple[list[Scored], list[CandidateError]]:
    scored: list[Scored] = []
    errors: list[CandidateError] = []
    total = plan.options.candidates

    async def one(index: int) -> None:
        job = CandidateJob(
            app=app,
            user=user,
            scene=plan.scene,
            refs=plan.refs,
            recorder=recorder,
            label=f"a{attempt}_c{index}",
            attempt=attempt,
            index=index,
            provider=plan.options.provider,
            model=plan.options.model,
            size=plan.options.size,
            quality=plan.options.quality,
            profile=plan.profile,
            avatar=plan.avatar,
            parent=plan.parent,
            history=plan.history,
        )
        try:
            candidate = await STRATEGIES[strategy](job)
        except (ToolServerError, StorageError) as error:
            errors.append(error)
            return
        await progress(f"scoring candidate {index} of {total}")
        likeness = await score_likeness(
            app.faces, candidate.data, plan.refs.embeddings, app.settings.face_processes
        )
        step_index = recorder.record.steps[-1].index if recorder.record.steps else None
        last = next(
            (
                s
                for s in reversed(recorder.record.steps)
                if s.attempt == attempt and s.candidate == index and s.kind in ("candidate", "swapped")
            ),
            None,
        )
        step_index = last.index if last else step_index
        scored.append(Scored(candidate, likeness, attempt, index, strategy, step_index))

    async with anyio.create_task_group() as group:
        for index in range(1, total + 1):
            group.start_soon(one, index)
    return scored, errors


__all__ = ["PROMPT_VERSION", "GenerateOptions", "Plan", "plan_generation", "run_generation"]
