"""Identity, avatar and face-swap prompts, rendered from the `.txt` templates beside this module."""

from __future__ import annotations

import functools
from pathlib import Path
from string import Template

from tool_server.prompts.identity.version import PROMPT_VERSION

__all__ = ["PROMPT_VERSION", "render"]

_HERE = Path(__file__).parent


@functools.cache
def _template(name: str) -> Template:
    return Template((_HERE / f"{name}.txt").read_text(encoding="utf-8").strip())


def render(name: str, **values: str) -> str:
    """Fill template `name` (`$placeholders`); a missing value is a programming error."""
    return _template(name).substitute(values)
