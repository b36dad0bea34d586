"""generate_avatar's engine: the seed's two stages, headshot from the photos, full body from the headshot.

Each candidate's headshot is scored for likeness; only a passing headshot gets its (paid) full-body
shot. If no headshot passes, another round runs, up to `max_attempts`. Files keep the seed's paired,
auto-numbered names (`{user}_avatar_headshot_{provider}_{NN}.png` + `..._fullbody_..._{NN}.png`),
numbers reserved in the avatar index before anything is saved, so concurrent runs never share one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio

from storage import StorageError
from tool_server.app import AppContext
from tool_server.errors import ToolServerError
from tool_server.faces import Likeness
from tool_server.generation.calls import CandidateError, Progress, call_provider, end_if_hopeless
from tool_server.generation.images import as_png, delete_images, save_image
from tool_server.generation.references import UserReferences
from tool_server.generation.scoring import score_likeness
from tool_server.generation.sizes import SIZES, ImageSize
from tool_server.ids import new_id
from tool_server.mime import sniff_mime
from tool_server.prompts.identity import render
from tool_server.providers.base import ImageRequest, ImageResult, ReferenceImage
from tool_server.runs import RunRecorder
from tool_server.userdata import keys
from tool_server.userdata.models import AvatarEntry, AvatarIndex, ImageRecord


@dataclass(frozen=True)
class AvatarOptions:
    candidates: int = 2
    image_size: ImageSize = "1K"
    provider: str | None = None
    model: str | None = None
    # The user's own headshot, already checked (see `headshot.py`): only the full body is made.
    headshot: bytes | None = None
    headshot_likeness: Likeness | None = None


@dataclass
class AvatarCandidate:
    attempt: int
    index: int
    headshot: bytes
    headshot_likeness: Likeness
    provider: str
    model: str
    cost_usd: float
    fullbody: bytes | None = None
    fullbody_likeness: Likeness | None = None


async def make_avatars(
    app: AppContext,
    user: str,
    refs: UserReferences,
    options: AvatarOptions,
    recorder: RunRecorder,
    progress: Progress,
) -> dict[str, Any]:
    """Generate, score and store avatar candidates; returns the result kept in the run record."""
    started = time.monotonic()
    made: list[AvatarCandidate] = []
    errors: list[CandidateError] = []
    for attempt in range(1, app.settings.max_attempts + 1):
        await progress(f"attempt {attempt}: {options.candidates} headshot(s)")
        round_made, round_errors = await _round(app, user, refs, options, recorder, attempt, progress)
        end_if_hopeless(round_made, round_errors)
        made.extend(round_made)
        errors.extend(round_errors)
        if any(c.headshot_likeness.passed for c in round_made):
            break
    if not made:
        raise errors[0] if errors else ToolServerError("No avatar was produced. Try again.")
    await progress("saving")
    entries = await _store(app, user, made, recorder.run_id)
    best = max(entries, key=lambda e: (e.passed, (e.likeness or {}).get("score", 0.0)))
    return {
        "avatar_ids": [e.avatar_id for e in entries],
        "best_avatar_id": best.avatar_id,
        "needs_review": not best.passed,
        "provider": made[-1].provider,
        "model": made[-1].model,
        "cost_usd": round(sum(c.cost_usd for c in made), 6),
        "attempts": max(c.attempt for c in made),
        "image_size": options.image_size,
        "duration_s": round(time.monotonic() - started, 3),
        "errors": [str(e) for e in errors],
    }


async def _round(
    app: AppContext,
    user: str,
    refs: UserReferences,
    options: AvatarOptions,
    recorder: RunRecorder,
    attempt: int,
    progress: Progress,
) -> tuple[list[AvatarCandidate], list[CandidateError]]:
    made: list[AvatarCandidate] = []
    errors: list[CandidateError] = []
    headshot_size, fullbody_size = SIZES[options.image_size]

    async def one(index: int) -> None:
        label = f"a{attempt}_c{index}"

        async def generate(
            prompt: str, references: tuple[ReferenceImage, ...], size: str, step: str
        ) -> tuple[ImageResult, bytes]:
            request = ImageRequest(
                prompt=prompt,
                user=user,
                references=references,
                size=size,
                quality="high",
                model=options.model,
            )
            return await call_provider(
                app,
                recorder,
                request,
                options.provider,
                step_name=step,
                kind=step,
                label=label,
                attempt=attempt,
                candidate=index,
            )

        try:
            if options.headshot is not None and options.headshot_likeness is not None:
                headshot, likeness = options.headshot, options.headshot_likeness
                await recorder.save_step(
                    f"headshot_{label}", headshot, "image/png", "headshot", attempt=attempt, candidate=index
                )
                await _annotate(recorder, "headshot", attempt, index, likeness)
                candidate = AvatarCandidate(attempt, index, headshot, likeness, "", "", 0.0)
            else:
                headshot_result, headshot = await generate(
                    render("avatar_headshot"), refs.for_edit(), headshot_size, "headshot"
                )
                await progress(f"scoring headshot {index} of {options.candidates}")
                likeness = await score_likeness(
                    app.faces, headshot, refs.embeddings, app.settings.face_processes
                )
                await _annotate(recorder, "headshot", attempt, index, likeness)
                candidate = _candidate(attempt, index, headshot, likeness, [headshot_result])
            if likeness.passed:
                await progress(f"full body {index} of {options.candidates}")
                reference = ReferenceImage(headshot, sniff_mime(headshot) or "image/png", "headshot.png")
                fullbody_result, fullbody = await generate(
                    render("avatar_fullbody"), (reference,), fullbody_size, "fullbody"
                )
                candidate.fullbody = fullbody
                candidate.fullbody_likeness = await score_likeness(
                    app.faces, fullbody, refs.embeddings, app.settings.face_processes
                )
                await _annotate(recorder, "fullbody", attempt, index, candidate.fullbody_likeness)
                candidate.cost_usd = round(candidate.cost_usd + fullbody_result.cost_usd, 6)
                candidate.provider = candidate.provider or fullbody_result.provider
                candidate.model = candidate.model or fullbody_result.model
        except (ToolServerError, StorageError) as error:
            errors.append(error)
            return
        made.append(candidate)

    async with anyio.create_task_group() as group:
        for index in range(1, options.candidates + 1):
            group.start_soon(one, index)
    return sorted(made, key=lambda c: c.index), errors


async def _annotate(recorder: RunRecorder, kind: str, attempt: int, index: int, likeness: Likeness) -> None:
    """Put the score on the run step of that image, so the run record and its gallery show it."""
    step = next(
        (
            s
            for s in reversed(recorder.record.steps)
            if (s.kind, s.attempt, s.candidate) == (kind, attempt, index)
        ),
        None,
    )
    if step is not None:
        await recorder.annotate(step, likeness=likeness.model_dump(mode="json"))


def _candidate(
    attempt: int, index: int, headshot: bytes, likeness: Likeness, results: list[ImageResult]
) -> AvatarCandidate:
    return AvatarCandidate(
        attempt=attempt,
        index=index,
        headshot=headshot,
        headshot_likeness=likeness,
        provider=results[-1].provider,
        model=results[-1].model,
        cost_usd=round(sum(r.cost_usd for r in results), 6),
    )


async def _reserve_numbers(app: AppContext, user: str, count: int) -> list[int]:
    reserved: list[int] = []

    def reserve(current: AvatarIndex | None) -> AvatarIndex:
        index = current or AvatarIndex()
        reserved[:] = list(range(index.next_number, index.next_number + count))
        return index.model_copy(update={"next_number": index.next_number + count})

    await app.docs.update(keys.avatar_index(user), AvatarIndex, reserve)
    return reserved


async def _store(app: AppContext, user: str, made: list[AvatarCandidate], run_id: str) -> list[AvatarEntry]:
    """Save each candidate's images under their paired names, then add them to the avatar index."""
    numbers = await _reserve_numbers(app, user, len(made))
    entries: list[AvatarEntry] = []
    saved: list[ImageRecord] = []
    try:
        await _save_all(app, user, made, numbers, run_id, entries, saved)

        def append(current: AvatarIndex | None) -> AvatarIndex:
            index = current or AvatarIndex()
            return index.model_copy(update={"avatars": [*index.avatars, *entries]})

        await app.docs.update(keys.avatar_index(user), AvatarIndex, append)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await delete_images(app, user, saved)  # all or nothing: no image without its index entry
        raise
    return entries


async def _save_all(
    app: AppContext,
    user: str,
    made: list[AvatarCandidate],
    numbers: list[int],
    run_id: str,
    entries: list[AvatarEntry],
    saved: list[ImageRecord],
) -> None:
    for number, candidate in zip(numbers, made, strict=True):
        entry = AvatarEntry(
            avatar_id=new_id("avt"),
            number=number,
            provider=candidate.provider,
            headshot_image_id="",
            headshot_name=avatar_name(user, "headshot", candidate.provider, number),
            likeness=candidate.headshot_likeness.model_dump(mode="json"),
            run_id=run_id,
        )
        headshot = await _save(app, user, candidate, "headshot", entry.headshot_name, run_id)
        saved.append(headshot)
        entry.headshot_image_id = headshot.image_id
        if candidate.fullbody is not None and candidate.fullbody_likeness is not None:
            entry.fullbody_name = avatar_name(user, "fullbody", candidate.provider, number)
            entry.fullbody_likeness = candidate.fullbody_likeness.model_dump(mode="json")
            fullbody = await _save(app, user, candidate, "fullbody", entry.fullbody_name, run_id)
            saved.append(fullbody)
            entry.fullbody_image_id = fullbody.image_id
        entries.append(entry)


async def _save(
    app: AppContext, user: str, candidate: AvatarCandidate, stage: str, name: str, run_id: str
) -> ImageRecord:
    likeness: Likeness | None = candidate.headshot_likeness
    data = candidate.headshot
    if stage == "fullbody":
        assert candidate.fullbody is not None
        data, likeness = candidate.fullbody, candidate.fullbody_likeness
    png = await anyio.to_thread.run_sync(as_png, data)
    return await save_image(
        app,
        user,
        png,
        f"avatar_{stage}",
        name=name,
        key=keys.avatar_file(user, name),
        provider=candidate.provider,
        model=candidate.model,
        likeness=likeness.model_dump(mode="json") if likeness else None,
        run_id=run_id,
    )


def avatar_name(user: str, stage: str, provider: str, number: int) -> str:
    return f"{user}_avatar_{stage}_{provider}_{number:02d}.png"
