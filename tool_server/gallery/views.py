"""What a gallery page shows, read from the store: plain view objects the templates render.

Building a view needs a `Linker`, which turns a stored key into what the page links to: relative
copies in a static folder (`static.py`) or the HTTP gallery's image route (`http/gallery.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import anyio

from tool_server.app import AppContext
from tool_server.faces.records import verdict_text
from tool_server.runs import RunRecord, RunStep
from tool_server.userdata import keys
from tool_server.userdata.models import AvatarIndex, Identity, ImageRecord


@dataclass(frozen=True)
class Picture:
    """An image on the page: `src` for the <img> (maybe a thumbnail), `href` for the full size."""

    src: str
    href: str
    alt: str


# (key, mime_type, alt) -> Picture
Linker = Callable[[str, str, str], Awaitable[Picture]]
# run_id -> link to that run's page, or None where run pages are not available
RunLink = Callable[[str], str | None]


@dataclass(frozen=True)
class Likeness:
    score: float | None
    distance: float | None
    threshold: float | None
    passed: bool | None
    face_found: bool

    @classmethod
    def of(cls, raw: dict[str, Any] | None) -> Likeness | None:
        if not raw:
            return None
        return cls(
            score=raw.get("score"),
            distance=raw.get("distance"),
            threshold=raw.get("threshold"),
            passed=raw.get("passed"),
            face_found=bool(raw.get("face_found", raw.get("score") is not None)),
        )

    @property
    def verdict(self) -> str:
        """`0.41, passes at 0.50`: the distance against the threshold, shown on every card."""
        return verdict_text(self.distance, self.threshold, self.face_found)


@dataclass(frozen=True)
class StepView:
    index: int
    name: str
    kind: str
    attempt: int | None
    candidate: int | None
    picture: Picture
    likeness: Likeness | None
    note: str | None
    chosen: bool


@dataclass(frozen=True)
class CallView:
    operation: str
    provider: str
    model: str
    prompt: str | None
    latency_s: float
    cost_usd: float
    attempts: int
    error: str | None


@dataclass(frozen=True)
class RunSummary:
    """One row of `runs list`."""

    run_id: str
    kind: str
    status: str
    identity: str | None
    created_at: datetime
    cost_usd: float
    best_likeness: float | None
    href: str | None = None


@dataclass
class RunView:
    summary: RunSummary
    record: RunRecord
    duration_s: float | None
    providers: list[str]
    models: list[str]
    scene: str | None
    strategy: str | None
    message: str | None
    steps: list[StepView] = field(default_factory=list)
    calls: list[CallView] = field(default_factory=list)


@dataclass(frozen=True)
class ImageView:
    picture: Picture
    likeness: Likeness | None
    provider: str | None
    model: str | None


@dataclass(frozen=True)
class PhotoView:
    photo_id: str
    picture: Picture
    crop: Picture | None
    verdict: str
    reasons: list[str]
    primary: bool
    width: int
    height: int


@dataclass(frozen=True)
class AvatarView:
    avatar_id: str
    number: int
    provider: str
    headshot: ImageView | None
    fullbody: ImageView | None
    likeness: Likeness | None
    approved: bool


@dataclass(frozen=True)
class RefineStep:
    """One refine: parent -> refined image, with the instruction and the refined image's likeness."""

    parent_image_id: str
    image_id: str
    instruction: str | None
    likeness: Likeness | None


@dataclass(frozen=True)
class IdentityView:
    identity: Identity
    current: ImageView | None
    accepted: ImageView | None
    images: list[ImageView] = field(default_factory=list)  # every image made, oldest first
    lineage: list[RefineStep] = field(default_factory=list)


@dataclass
class UserView:
    user: str
    photos: list[PhotoView]
    avatars: list[AvatarView]
    identities: list[IdentityView]
    runs: list[RunSummary]
    runs_total: int = 0
    older_runs_href: str | None = None  # the next page of runs, where there is one


def summarize(record: RunRecord, identity_names: dict[str, str], href: str | None = None) -> RunSummary:
    identity_id = record.inputs.get("identity_id")
    scores = [s.likeness["score"] for s in record.steps if s.likeness and s.likeness.get("score") is not None]
    return RunSummary(
        run_id=record.run_id,
        kind=record.kind,
        status=record.status,
        identity=identity_names.get(identity_id, identity_id) if identity_id else None,
        created_at=record.created_at,
        cost_usd=round(sum(float(c.get("cost_usd") or 0.0) for c in record.calls), 4),
        best_likeness=max(scores) if scores else None,
        href=href,
    )


async def identity_names(app: AppContext, user: str) -> dict[str, str]:
    return {i.identity_id: i.name for i in await app.identities.list(user)}


async def run_summaries(
    app: AppContext,
    user: str,
    run_link: RunLink | None = None,
    *,
    run_ids: list[str] | None = None,
    limit: int | None = None,
) -> list[RunSummary]:
    """The user's runs (or those of `run_ids`), newest first; with `limit`, only the newest are read."""
    if run_ids is None:
        run_ids = sorted(await app.runs.list(user), reverse=True)  # run ids sort by creation time
    run_ids = run_ids[:limit]
    names = await identity_names(app, user)
    summaries: list[RunSummary] = []
    limiter = anyio.CapacityLimiter(16)  # S3 round trips overlap; a local store does not mind

    async def load(run_id: str) -> None:
        async with limiter:
            record = await app.runs.get(user, run_id)
        summaries.append(summarize(record, names, run_link(run_id) if run_link else None))

    async with anyio.create_task_group() as group:
        for run_id in run_ids:
            group.start_soon(load, run_id)
    return sorted(summaries, key=lambda s: s.created_at, reverse=True)


async def run_view(app: AppContext, user: str, run_id: str, link: Linker) -> RunView:
    """The run `run_id` of `user` (NotFound if it is not theirs)."""
    record = await app.runs.get(user, run_id)
    result = record.result or {}
    chosen = {result.get("image_id"), *(a.get("headshot_image_id") for a in result.get("avatars", []))}
    chosen.discard(None)
    steps = [await _step_view(step, link, chosen) for step in record.steps]
    calls = [_call_view(call) for call in record.calls]
    end = record.finished_at or (record.updated_at if record.status != "running" else None)
    return RunView(
        summary=summarize(record, await identity_names(app, user)),
        record=record,
        duration_s=round((end - record.created_at).total_seconds(), 1) if end else None,
        providers=sorted({c.provider for c in calls}),
        models=sorted({c.model for c in calls}),
        scene=record.inputs.get("scene") or record.inputs.get("prompt"),
        strategy=result.get("strategy") or record.inputs.get("strategy"),
        message=result.get("message") or record.error,
        steps=steps,
        calls=calls,
    )


async def _step_view(step: RunStep, link: Linker, chosen: set[Any]) -> StepView:
    return StepView(
        index=step.index,
        name=step.name,
        kind=step.kind,
        attempt=step.attempt,
        candidate=step.candidate,
        picture=await link(step.key, step.mime_type, f"Step {step.index}: {step.kind}"),
        likeness=Likeness.of(step.likeness),
        note=step.note,
        chosen=step.image_id is not None and step.image_id in chosen,
    )


def _call_view(call: dict[str, Any]) -> CallView:
    params = call.get("params") or {}
    return CallView(
        operation=str(call.get("operation", "")),
        provider=str(call.get("provider", "")),
        model=str(call.get("model", "")),
        prompt=params.get("prompt"),
        latency_s=float(call.get("latency_s") or 0.0),
        cost_usd=float(call.get("cost_usd") or 0.0),
        attempts=int(call.get("attempts") or 1),
        error=call.get("error"),
    )


async def user_view(
    app: AppContext,
    user: str,
    link: Linker,
    run_link: RunLink | None = None,
    *,
    runs_from: int = 0,
    runs_limit: int | None = None,
) -> UserView:
    """The user's photos, avatars, identities and runs (`runs_limit` from `runs_from`, newest first)."""
    photos = []
    for number, photo in enumerate((await app.photos.index(user)).photos):
        quality = photo.quality or {}
        crop = photo.face_crop_key
        photos.append(
            PhotoView(
                photo_id=photo.photo_id,
                picture=await link(photo.key, "image/jpeg", f"Reference photo {number + 1}"),
                crop=await link(crop, "image/jpeg", f"Face crop of photo {number + 1}") if crop else None,
                verdict=str(quality.get("verdict", "unchecked")),
                reasons=list(quality.get("reasons", [])),
                primary=number == 0,
                width=photo.width,
                height=photo.height,
            )
        )
    avatar_index = await app.docs.read(keys.avatar_index(user), AvatarIndex) or AvatarIndex()
    avatars = [
        AvatarView(
            avatar_id=entry.avatar_id,
            number=entry.number,
            provider=entry.provider,
            headshot=await _image_view(app, user, entry.headshot_image_id, link, "Avatar headshot"),
            fullbody=await _image_view(app, user, entry.fullbody_image_id, link, "Avatar full body"),
            likeness=Likeness.of(entry.likeness),
            approved=entry.avatar_id == avatar_index.approved_avatar_id,
        )
        for entry in avatar_index.avatars
    ]
    identities = [
        IdentityView(
            identity=identity,
            current=await _image_view(app, user, identity.current_image_id, link, identity.name),
            accepted=await _image_view(app, user, identity.accepted_image_id, link, identity.name),
            images=await _image_views(app, user, identity.image_ids, link, identity.name),
            lineage=await _lineage(app, user, identity),
        )
        for identity in await app.identities.list(user)
    ]
    run_ids = sorted(await app.runs.list(user), reverse=True)
    shown = run_ids[runs_from : None if runs_limit is None else runs_from + runs_limit]
    runs = await run_summaries(app, user, run_link, run_ids=shown)
    return UserView(user, photos, avatars, identities, runs, runs_total=len(run_ids))


async def _image_views(
    app: AppContext, user: str, image_ids: list[str], link: Linker, alt: str
) -> list[ImageView]:
    """The images that still exist, in the order they were made."""
    views = [await _image_view(app, user, i, link, f"{alt} {n}") for n, i in enumerate(image_ids, 1)]
    return [view for view in views if view is not None]


async def _lineage(app: AppContext, user: str, identity: Identity) -> list[RefineStep]:
    """The identity's refined images in the order they were made, each with its parent."""
    steps = []
    for image_id in identity.image_ids:
        record = await app.docs.read(keys.image_record(user, image_id), ImageRecord)
        if record is not None and record.parent_image_id:
            steps.append(
                RefineStep(record.parent_image_id, image_id, record.instruction, Likeness.of(record.likeness))
            )
    return steps


async def _image_view(
    app: AppContext, user: str, image_id: str | None, link: Linker, alt: str
) -> ImageView | None:
    """A generated image, or None when there is none (or its record is gone)."""
    if not image_id:
        return None
    record = await app.docs.read(keys.image_record(user, image_id), ImageRecord)
    if record is None:
        return None
    return ImageView(
        picture=await link(record.key, record.mime_type, alt),
        likeness=Likeness.of(record.likeness),
        provider=record.provider,
        model=record.model,
    )
