"""refine_identity_image's plan: the parent image, the user's faces and, over Gemini, the parent's turns.

A refine is a generation run with one strategy, `refine` (see `strategies.py`); the engine scores,
stores and attaches its candidates like any other (a passing one becomes current; the accepted
image is never replaced). What the plan adds: the parent image as the first reference, and when
the parent came from Gemini, the conversation that made it (the user turn, and the model turn
with its image and thought signature as received), read from the parent's run, so a refine works
in any process.
"""

from __future__ import annotations

import json
from typing import Any

from tool_server.app import AppContext
from tool_server.errors import InvalidInput
from tool_server.generation.engine import GenerateOptions, Plan
from tool_server.generation.images import get_image
from tool_server.generation.references import load_references
from tool_server.providers.base import ReferenceImage
from tool_server.userdata.models import ImageRecord


async def plan_refine(
    app: AppContext, user: str, image_id: str, instruction: str, options: GenerateOptions
) -> Plan:
    """Check everything before the run: a foreign or unknown image, or a bad instruction, costs nothing."""
    instruction = instruction.strip()
    if not instruction:
        raise InvalidInput("instruction is empty: say what to change, e.g. 'a blue jacket instead'.")
    if len(instruction) > app.settings.max_prompt_chars:
        limit = app.settings.max_prompt_chars
        raise InvalidInput(f"instruction is longer than {limit} characters; shorten it.")
    record = await get_image(app, user, image_id)
    if record.kind != "identity" or record.identity_id is None:
        raise InvalidInput(
            f"Image {image_id} is not an identity image; refine an image_id that generate_identity_image "
            "or refine_identity_image returned."
        )
    identity = await app.identities.get(user, record.identity_id)
    refs = await load_references(app, user)
    parent = ReferenceImage(await app.blobs.get(record.key), record.mime_type, f"{image_id}.png")
    provider = options.provider or record.provider
    history = await parent_turns(app, user, record) if provider == "gemini" else ()
    run_options = GenerateOptions(
        prompt=instruction,
        candidates=options.candidates,
        provider=provider,
        model=options.model,
        size=_size_of(record),
        quality=options.quality,
    )
    lineage = {"parent_image_id": image_id, "instruction": instruction}
    inputs: dict[str, Any] = {
        "identity_id": identity.identity_id,
        "scene": instruction,
        "strategy": "refine",
        "strategies": ["refine"],
        "candidates": options.candidates,
        "provider": provider,
        "model": options.model,
        "size": run_options.size,
        "quality": options.quality,
        "continues_conversation": bool(history),
        **lineage,
        **refs.run_inputs(app.settings.likeness_threshold),
    }
    return Plan(
        identity=identity,
        scene=instruction,
        refs=refs,
        strategies=["refine"],
        profile=None,
        avatar=None,
        options=run_options,
        inputs=inputs,
        parent=parent,
        history=history,
        lineage=lineage,
    )


async def parent_turns(app: AppContext, user: str, record: ImageRecord) -> tuple[dict[str, Any], ...]:
    """The Gemini conversation stored with the parent's run step, or () when there is none."""
    if record.run_id is None:
        return ()
    run = await app.runs.get(user, record.run_id)
    step = next((s for s in run.steps if s.image_id == record.image_id and s.conversation_key), None)
    if step is None or step.conversation_key is None:
        return ()
    turns = json.loads(await app.blobs.get(step.conversation_key))
    return tuple(turns) if isinstance(turns, list) else ()


def _size_of(record: ImageRecord) -> str:
    """The parent's own size when every model can make it (multiples of 16), else the square default."""
    if record.width % 16 == 0 and record.height % 16 == 0:
        return f"{record.width}x{record.height}"
    return "1024x1024"
