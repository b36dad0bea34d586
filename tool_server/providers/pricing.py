"""Usage reported by the vendors turned into USD with the prices of the capability table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tool_server.providers.capabilities import Prices

if TYPE_CHECKING:
    from tool_server.providers.base import ImageRequest

_PER_TOKEN = 1_000_000


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def openai_cost(prices: Prices, usage: Mapping[str, Any]) -> float:
    """Cost of one Images API response from its `usage` block (input text/image, output image/text)."""
    input_details = usage.get("input_tokens_details") or {}
    output_details = usage.get("output_tokens_details") or {}
    text_in = _int(input_details.get("text_tokens"))
    image_in = _int(input_details.get("image_tokens"))
    if not input_details:
        text_in = _int(usage.get("input_tokens"))  # no breakdown: the cheaper-to-overcount rate is text
    if output_details:
        image_out = _int(output_details.get("image_tokens"))
        text_out = _int(output_details.get("text_tokens"))
    else:
        image_out, text_out = _int(usage.get("output_tokens")), 0
    total = (
        text_in * prices.text_in
        + image_in * prices.image_in
        + image_out * prices.image_out
        + text_out * prices.text_out
    )
    return round(total / _PER_TOKEN, 6)


def gemini_cost(prices: Prices, usage: Mapping[str, Any]) -> float:
    """Cost of one generateContent response from `usageMetadata` (snake_case keys, as the SDK dumps them).

    Output tokens are split by modality when the response says so; otherwise all of them are
    charged as image tokens, the dearer rate. Thinking tokens are charged as text output.
    """
    prompt = _int(usage.get("prompt_token_count"))
    candidates = _int(usage.get("candidates_token_count"))
    thoughts = _int(usage.get("thoughts_token_count"))
    image_out, text_out = candidates, 0
    details = usage.get("candidates_tokens_details") or []
    if details:
        image_out = sum(
            _int(d.get("token_count")) for d in details if str(d.get("modality")).upper() == "IMAGE"
        )
        text_out = candidates - image_out
    total = prompt * prices.text_in + image_out * prices.image_out + (text_out + thoughts) * prices.text_out
    return round(total / _PER_TOKEN, 6)


def add_usage(total: dict[str, Any], usage: Mapping[str, Any]) -> None:
    """Sum the numeric top-level counters of `usage` into `total`."""
    for key, value in usage.items():
        if isinstance(value, int) and not isinstance(value, bool):
            total[key] = int(total.get(key, 0)) + value


# Upper bounds of tokens, for the estimate reserved against the budget before a call.
_OPENAI_IMAGE_TOKENS = {"low": 272, "medium": 1056}  # per 1024x1024 image; high and auto: 4160
_GEMINI_IMAGE_TOKENS = 2000  # a 4K image; 1K and 2K images are 1120
_INPUT_IMAGE_TOKENS = 6000  # one reference at high input fidelity
_THINKING_TOKENS = 2000


def estimate_cost(prices: Prices, provider: str, request: ImageRequest) -> float:
    """An upper bound of one ImageRequest's cost, reserved before the call and settled after."""
    return estimate_image_cost(
        prices,
        provider,
        request.quality,
        request.size,
        n=request.n,
        prompt_chars=len(request.prompt),
        references=len(request.references),
    )


def estimate_image_cost(
    prices: Prices,
    provider: str,
    quality: str,
    size: str,
    *,
    n: int = 1,
    prompt_chars: int = 2000,
    references: int = 3,
) -> float:
    """An upper bound of the cost of `n` images before they are made (budget reservations, batch checks).

    Unknown sizes (`auto`) count as a large image; without a request, a long prompt and three
    references are assumed.
    """
    area = 2.0
    width, _, height = size.partition("x")
    if width.isdigit() and height.isdigit():
        area = max(1.0, int(width) * int(height) / 1024**2)
    if provider == "gemini":
        out = _GEMINI_IMAGE_TOKENS * prices.image_out + _THINKING_TOKENS * prices.text_out
    else:
        out = _OPENAI_IMAGE_TOKENS.get(quality, 4160) * area * prices.image_out
    text_in = (prompt_chars // 2 + 100) * prices.text_in
    images_in = references * _INPUT_IMAGE_TOKENS * prices.image_in
    return round((n * out + text_in + images_in) / _PER_TOKEN, 6)
