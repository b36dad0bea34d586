"""The seeds' three attempts as three strategies; each makes one candidate image.

- direct: the reference photos (face crops first) plus the scene, one edit (seed attempt 1).
- avatar: the approved avatar headshot is the single reference (seed attempt 2, two-stage).
- generic_swap: a generic person from the body profile, then the user's face swapped in (attempt 3).
- refine: an earlier image changed by an instruction (the seed's multi-turn editing), see `refine.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from tool_server.app import AppContext
from tool_server.generation.calls import call_provider
from tool_server.generation.references import UserReferences
from tool_server.mime import sniff_mime
from tool_server.prompts.identity import render
from tool_server.providers.base import ImageRequest, ImageResult, ProviderCall, Quality, ReferenceImage
from tool_server.runs import RunRecorder
from tool_server.userdata.models import BodyProfile

Strategy = Literal["direct", "avatar", "generic_swap"]
RunStrategy = Strategy | Literal["refine"]

# Words for the generic person prompt, from the body profile answers.
_WORDS = {
    "man": "male",
    "woman": "female",
    "non_binary_other": "non-binary",
    "below_average": "below-average height",
    "above_average": "above-average height",
    "average_height": "average height",
    "curvy_stocky": "curvy, stocky",
    "plus_size": "plus-size",
    "medium_light": "medium-light skinned",
    "medium_dark": "medium-dark skinned",
}


def profile_words(profile: BodyProfile) -> dict[str, str]:
    height = "average height" if profile.height == "average" else str(profile.height)
    skin = f"{profile.skin_tone}-skinned" if profile.skin_tone in ("light", "medium", "dark") else None
    words = {
        "height": _WORDS.get(height, height),
        "build": _WORDS.get(str(profile.build), str(profile.build)),
        "skin_tone": skin or _WORDS.get(str(profile.skin_tone), str(profile.skin_tone)),
        "gender": _WORDS.get(str(profile.gender), str(profile.gender)),
    }
    words["a"] = "an" if words["height"][0] in "aeiou" else "a"
    return words


@dataclass
class Candidate:
    data: bytes
    mime_type: str
    provider: str
    model: str
    cost_usd: float
    calls: list[ProviderCall] = field(default_factory=list)


@dataclass
class CandidateJob:
    """Everything one candidate needs; `label` names its files (e.g. a1_c2)."""

    app: AppContext
    user: str
    scene: str
    refs: UserReferences
    recorder: RunRecorder
    label: str
    attempt: int
    index: int
    provider: str | None
    model: str | None
    size: str
    quality: Quality
    profile: BodyProfile | None = None
    avatar: ReferenceImage | None = None
    parent: ReferenceImage | None = None  # refine: the image to change
    history: tuple[dict[str, Any], ...] = ()  # refine over Gemini: the turns that made the parent


async def _call(
    job: CandidateJob, request: ImageRequest, step_name: str, kind: str
) -> tuple[ImageResult, bytes]:
    return await call_provider(
        job.app,
        job.recorder,
        request,
        job.provider,
        step_name=step_name,
        kind=kind,
        label=job.label,
        attempt=job.attempt,
        candidate=job.index,
    )


def _request(
    job: CandidateJob, prompt: str, references: tuple[ReferenceImage, ...], **extra: object
) -> ImageRequest:
    return ImageRequest(
        prompt=prompt,
        user=job.user,
        references=references,
        size=job.size,
        quality=job.quality,
        model=job.model,
        **extra,  # type: ignore[arg-type]
    )


def _candidate(results: list[ImageResult], data: bytes) -> Candidate:
    last = results[-1]
    return Candidate(
        data=data,
        mime_type=sniff_mime(data) or "image/png",
        provider=last.provider,
        model=last.model,
        cost_usd=round(sum(r.cost_usd for r in results), 6),
        calls=[c for r in results for c in r.calls],
    )


async def direct(job: CandidateJob) -> Candidate:
    prompt = render("direct", scene=job.scene)
    result, data = await _call(job, _request(job, prompt, job.refs.for_edit()), "candidate", "candidate")
    return _candidate([result], data)


async def avatar(job: CandidateJob) -> Candidate:
    assert job.avatar is not None
    prompt = render("avatar", scene=job.scene)
    result, data = await _call(job, _request(job, prompt, (job.avatar,)), "candidate", "candidate")
    return _candidate([result], data)


async def generic_swap(job: CandidateJob) -> Candidate:
    assert job.profile is not None
    prompt = render("generic_person", scene=job.scene, **profile_words(job.profile))
    generic, generic_bytes = await _call(job, _request(job, prompt, ()), "generic", "generic")
    target = ReferenceImage(generic_bytes, sniff_mime(generic_bytes) or "image/png", "generic.png")
    faces = tuple(job.refs.face_crops or job.refs.photos)
    swap_request = _request(job, render("face_swap"), (target, *faces), task="face_swap")
    swapped, data = await _call(job, swap_request, "swapped", "swapped")
    return _candidate([generic, swapped], data)


async def refine(job: CandidateJob) -> Candidate:
    """The parent first, then the face crops; Gemini continues the parent's conversation instead."""
    assert job.parent is not None
    prompt = render("refine_turn" if job.history else "refine", instruction=job.scene)
    references = (job.parent, *(job.refs.face_crops or job.refs.photos))
    request = _request(job, prompt, references, history=job.history)
    result, data = await _call(job, request, "refined", "candidate")
    return _candidate([result], data)


STRATEGIES: dict[RunStrategy, Callable[[CandidateJob], Awaitable[Candidate]]] = {
    "direct": direct,
    "avatar": avatar,
    "generic_swap": generic_swap,
    "refine": refine,
}
