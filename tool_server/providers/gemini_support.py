"""Gemini specifics: size to `image_config`, reading a generateContent response, mapping SDK errors.

Kept apart from the adapter so each stays small. SDK modules are passed in, never imported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tool_server.errors import ProviderBlocked, ProviderError, ProviderRejected, ProviderUnavailable
from tool_server.providers.base import GeneratedImage
from tool_server.providers.capabilities import ModelCapabilities, parse_size
from tool_server.providers.images import image_from_bytes
from tool_server.providers.retry import Transient

_P = "gemini"
# finishReason values meaning a safety or policy system stopped the output (never retried).
BLOCKING_FINISH = {
    "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_OTHER", "IMAGE_RECITATION", "SAFETY",
    "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION",
}  # fmt: skip
_SIZE_TIERS = ((1024, "1K"), (2048, "2K"))


def image_config_for(caps: ModelCapabilities, size: str) -> dict[str, str]:
    """`aspect_ratio` nearest to the requested WxH and the smallest `image_size` tier that covers it."""
    config: dict[str, str] = {}
    dims = parse_size(size)
    if dims and caps.aspect_ratios:
        wanted = math.log(dims[0] / dims[1])
        config["aspect_ratio"] = min(caps.aspect_ratios, key=lambda ratio: abs(_log_ratio(ratio) - wanted))
    if caps.image_sizes:
        long_side = max(dims) if dims else 1024
        tier = next((name for limit, name in _SIZE_TIERS if long_side <= limit), "4K")
        config["image_size"] = tier if tier in caps.image_sizes else caps.image_sizes[-1]
    return config


def _log_ratio(ratio: str) -> float:
    width, _, height = ratio.partition(":")
    return math.log(float(width) / float(height))


@dataclass
class GeminiAnswer:
    final: GeneratedImage
    interim: list[GeneratedImage] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    model_turn: dict[str, Any] | None = None


def _name(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def read_response(response: Any) -> GeminiAnswer:
    """The final image (last non-thought image part) and the interim thought images; raise otherwise."""
    feedback = response.prompt_feedback
    block = _name(feedback.block_reason) if feedback is not None else ""
    if not response.candidates:
        if block:
            raise ProviderBlocked(
                f"Gemini blocked the prompt ({block}). Do not retry as is: rephrase the scenario or pick "
                "another scene.",
                provider=_P,
            )
        raise Transient(
            ProviderUnavailable(
                "Gemini answered without any candidate: try again later.", provider=_P, retryable=True
            )
        )
    candidate = response.candidates[0]
    finish = _name(candidate.finish_reason)
    if finish in BLOCKING_FINISH:
        raise ProviderBlocked(
            f"Gemini's safety filter stopped the image ({finish}). Do not retry as is: rephrase the scenario "
            "or pick another scene.",
            provider=_P,
        )
    finals: list[GeneratedImage] = []
    interim: list[GeneratedImage] = []
    texts: list[str] = []
    for part in (candidate.content.parts if candidate.content else None) or []:
        if part.inline_data is not None and part.inline_data.data:
            try:
                image = image_from_bytes(part.inline_data.data)
            except ValueError as exc:
                raise Transient(
                    ProviderUnavailable(
                        f"Gemini sent an unreadable image ({exc}): try again later.",
                        provider=_P,
                        retryable=True,
                    )
                ) from exc
            (interim if part.thought else finals).append(image)
        elif part.text and not part.thought:
            texts.append(part.text)
    if not finals:
        said = " ".join(texts).strip()[:300] or "no text"
        raise ProviderError(
            f"Gemini answered without an image (finish reason {finish or 'none'}); it said: {said!r}. "
            "Ask again, stating plainly that an image is wanted, or pick another scene.",
            provider=_P,
        )
    usage = (
        response.usage_metadata.model_dump(mode="json", exclude_none=True) if response.usage_metadata else {}
    )
    return GeminiAnswer(
        final=finals[-1],
        interim=interim,
        usage=usage,
        request_id=response.response_id,
        model_turn=_model_turn(candidate.content),
    )


def _model_turn(content: Any) -> dict[str, Any] | None:
    """The model turn to send back in a later request: its non-thought parts (the final image, any
    text) with their thought signatures exactly as received; thought parts are left out."""
    parts = [p for p in content.parts or [] if not p.thought]
    turn = content.model_copy(update={"role": "model", "parts": parts})
    dumped: dict[str, Any] = turn.model_dump(mode="json", exclude_none=True)
    return dumped


def retry_delay(details: Any) -> float | None:
    """Seconds from a `google.rpc.RetryInfo` detail ("7s", "0.5s"), if the error carries one."""
    error = details.get("error", details) if isinstance(details, dict) else {}
    for item in error.get("details") or [] if isinstance(error, dict) else []:
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("RetryInfo"):
            try:
                return max(0.0, float(str(item.get("retryDelay", "")).rstrip("s")))
            except ValueError:
                return None
    return None


def classify(errors: Any, httpx: Any, exc: Exception, *, timeout_s: float) -> ProviderError | Transient:
    """What an exception raised by google-genai means for the caller."""
    if isinstance(exc, errors.APIError):
        return _from_status(exc)
    if isinstance(exc, httpx.TimeoutException):
        return Transient(
            _unavailable(
                f"Gemini did not answer within {timeout_s:.0f} s: try again later or with another provider.",
                retryable=True,
            )
        )
    if isinstance(exc, httpx.TransportError):
        return Transient(
            _unavailable(
                "Could not reach Gemini (connection failed): try again later or with another provider.",
                retryable=True,
            )
        )
    if isinstance(exc, ValueError):
        return Transient(
            _unavailable("Gemini sent a response that could not be read: try again later.", retryable=True)
        )
    return ProviderError(f"Gemini call failed: {exc}", provider=_P)


def _from_status(exc: Any) -> ProviderError | Transient:
    code = int(exc.code or 0)
    status = str(exc.status or code)
    message = str(exc.message or exc)
    if code == 429 or code == 408 or code >= 500:
        what = "rate-limited the request" if code == 429 else f"failed with {code} {status}"
        return Transient(
            _unavailable(
                f"Gemini {what}: {message}. Try again later or with another provider.", retryable=True
            ),
            retry_after_s=retry_delay(exc.details),
        )
    if code in (401, 403) or "api key" in message.lower():
        return _unavailable(
            f"Gemini refused the API key ({message}): check GEMINI_API_KEY or GOOGLE_API_KEY."
        )
    if code == 404:
        return ProviderRejected(
            f"Gemini does not offer this model ({message}): set COACH_IMAGE_GEMINI_MODEL "
            "to a current image model.",
            provider=_P,
        )
    if status == "FAILED_PRECONDITION":
        return _unavailable(f"Gemini cannot serve this account now ({message}): use another provider.")
    return ProviderRejected(f"Gemini refused the request ({status}): {message}", provider=_P)


def _unavailable(message: str, *, retryable: bool = False) -> ProviderUnavailable:
    return ProviderUnavailable(message, provider=_P, retryable=retryable)
