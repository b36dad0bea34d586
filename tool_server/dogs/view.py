"""What the dog avatar tool and the HTTP route answer: the service's result, a link and a sentence."""

from __future__ import annotations

from pydantic import Field

from tool_server.dogs.cache import resource_uri
from tool_server.dogs.results import DogAvatarResult

OFFLINE_PROVIDER = "offline"


class DogAvatarView(DogAvatarResult):
    """The seed's response fields, the validation and cost, the MCP resource and a message."""

    resource_uri: str = Field(description="coach://dogs/... : the full-size PNG as an MCP resource.")
    placeholder: bool = Field(
        description="True for the offline provider's locally drawn stand-in (no image model involved)."
    )
    message: str


def avatar_view(result: DogAvatarResult) -> DogAvatarView:
    """The result with its resource URI and a message the coach (or a web page) can show as is."""
    placeholder = result.provider == OFFLINE_PROVIDER
    return DogAvatarView(
        **result.model_dump(),
        resource_uri=resource_uri(result.image_key),
        placeholder=placeholder,
        message=_message(result, placeholder),
    )


def _message(result: DogAvatarResult, placeholder: bool) -> str:
    source = "from the cache (no cost)" if result.cached else f"made now (${result.cost_usd:.3f})"
    parts = [
        f"Dog avatar for the job {result.job!r}, {result.size}, {result.background} background, {source}."
    ]
    if placeholder:
        parts.append(
            "OFFLINE PLACEHOLDER: the base dog with the accessory drawn locally, not an AI image. "
            "Set OPENAI_API_KEY (or GEMINI_API_KEY) on the server for real avatars."
        )
    if result.needs_review:
        failed = ", ".join(result.failed_checks)
        parts.append(
            f"It failed validation twice ({failed}): it is stored but needs a human look before use. "
            "Show it as a draft, or call again with regenerate=true."
        )
    else:
        parts.append("It passed every style check. A preview is attached and the full PNG is linked.")
    return " ".join(parts)
