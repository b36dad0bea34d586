"""The dog avatar service's answer (light: importing it does not load the imaging code)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tool_server.dogs.cache import AvatarBackground
from tool_server.dogs.checks import ValidationCheck


class DogAvatarResult(BaseModel):
    """The seed's response fields, plus how the image validated and what this call cost."""

    job: str
    size: str
    background: AvatarBackground
    image_url: str
    cached: bool = Field(description="True when served from the cache without a provider call.")
    prompt_version: str
    model: str
    needs_review: bool = Field(
        description="Validation failed twice: the image is stored but should be looked at."
    )
    validation: list[ValidationCheck]
    failed_checks: list[str]
    cost_usd: float = Field(description="Spent by this call: 0 for a cache hit.")
    provider: str
    image_key: str
    attempts: int = Field(description="Provider calls that made the image (1, or 2 after a retry).")
