"""Usage reported by the vendors turned into USD with the prices of the capability table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tool_server.providers.capabilities import Prices

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


# Output image tokens of one 1024x1024 image by quality (OpenAI's table; Gemini bills 1120 up to 2K).
_OPENAI_OUT_TOKENS = {"low": 272, "medium": 1056, "high": 4160, "auto": 4160}
_GEMINI_OUT_TOKENS = 1120
_REFERENCE_IN_TOKENS = 3000  # a few reference images in, a generous allowance


def estimate_image_cost(prices: Prices, provider: str, quality: str, size: str) -> float:
    """A rough price of one image before it is made (for budget checks): output tokens by quality and
    area, plus an allowance for the reference images sent in."""
    if provider == "gemini":
        out_tokens = float(_GEMINI_OUT_TOKENS)
    else:
        width, _, height = size.partition("x")
        area = int(width) * int(height) / 1024**2 if width.isdigit() and height.isdigit() else 1.0
        out_tokens = _OPENAI_OUT_TOKENS.get(quality, 4160) * max(area, 0.25)
    total = out_tokens * prices.image_out + _REFERENCE_IN_TOKENS * prices.image_in
    return round(total / _PER_TOKEN, 6)
