"""The dog avatar prompt: the seed's prefix, its retry addition and the job's accessory line.

The text lives in the `.txt` files beside this module so it can be reviewed and diffed as text;
`PROMPT_VERSION` (version.py) names it in every cache key.
"""

from __future__ import annotations

import functools
from pathlib import Path

from tool_server.dogs.jobs import resolve_job
from tool_server.prompts.dog.version import PROMPT_VERSION

__all__ = ["PROMPT_VERSION", "build_dog_prompt"]

_HERE = Path(__file__).parent
_TRANSPARENT_LINE = "Transparent background."


@functools.cache
def _text(name: str) -> str:
    return (_HERE / name).read_text(encoding="utf-8").rstrip("\n")


def build_dog_prompt(job: str, retry: bool = False, *, white_background: bool = False) -> str:
    """The prompt for `job`, built exactly as the seed's `build_prompt`.

    Prefix, then on retry the "ABSOLUTELY NO LIMBS" addition, then `Accessory: ...` unless the
    job has none. Unlike the seed, an unknown job raises InvalidInput instead of silently
    becoming `default`. `white_background=True` swaps the last prefix line for a plain white
    background, for providers that cannot give alpha (the background is removed locally).
    """
    accessory = resolve_job(job).accessory
    prompt = _text("prefix.txt")
    if white_background:
        if not prompt.endswith(_TRANSPARENT_LINE):
            raise RuntimeError(f"prefix.txt must end with {_TRANSPARENT_LINE!r}")
        prompt = prompt.removesuffix(_TRANSPARENT_LINE) + _text("white_background.txt")
    if retry:
        prompt += "\n" + _text("retry_addition.txt")
    if accessory:
        prompt += f"\nAccessory: {accessory}"
    return prompt
