"""OpenAI SDK exceptions mapped to the project's errors, with messages a coach can act on.

`classify` returns a `ProviderError` (final) or a `Transient` wrapping one (worth another attempt).
The `openai` module is passed in so that importing this module stays cheap.
"""

from __future__ import annotations

from typing import Any

from tool_server.errors import (
    ProviderAccountError,
    ProviderBlocked,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)
from tool_server.providers.retry import Transient, retry_after_from_headers

VERIFY_URL = "https://platform.openai.com/settings/organization/general"
BILLING_URL = "https://platform.openai.com/settings/organization/billing"
_P = "openai"


def classify(openai: Any, exc: Exception, *, timeout_s: float) -> ProviderError | Transient:
    """What an exception raised by the OpenAI SDK means for the caller."""
    if isinstance(exc, openai.APITimeoutError):
        return Transient(
            _unavailable(
                f"OpenAI did not answer within {timeout_s:.0f} s: try again later or with another provider.",
                retryable=True,
            )
        )
    if isinstance(exc, openai.APIConnectionError):
        return Transient(
            _unavailable(
                "Could not reach OpenAI (connection failed): try again later or with another provider.",
                retryable=True,
            )
        )
    if isinstance(exc, openai.APIStatusError):
        return _from_status(openai, exc)
    if isinstance(exc, openai.APIError | ValueError):
        return Transient(
            _unavailable("OpenAI sent a response that could not be read: try again later.", retryable=True)
        )
    return ProviderError(f"OpenAI call failed: {exc}", provider=_P)


def _from_status(openai: Any, exc: Any) -> ProviderError | Transient:
    status = int(exc.status_code)
    body = exc.body if isinstance(exc.body, dict) else {}
    code = exc.code or ""
    message = str(body.get("message") or exc.message)
    request_id = f" (request id {exc.request_id})" if getattr(exc, "request_id", None) else ""
    should_retry = exc.response.headers.get("x-should-retry") if exc.response is not None else None
    if code == "moderation_blocked":
        return _blocked(body)
    if status == 429 and code == "insufficient_quota":
        return _account(
            f"The OpenAI account is out of quota or credit: the server's operator must add credit at "
            f"{BILLING_URL}. Retrying will not help."
        )
    retryable_status = status == 429 or status in (408, 409) or status >= 500
    if should_retry == "true" or (retryable_status and should_retry != "false"):
        retry_after = retry_after_from_headers(exc.response.headers) if exc.response is not None else None
        what = "rate-limited the request" if status == 429 else f"failed with {status}"
        return Transient(
            _unavailable(
                f"OpenAI {what}: {message}{request_id}. Try again later or with another provider.",
                retryable=True,
            ),
            retry_after_s=retry_after,
        )
    if retryable_status:
        return _unavailable(
            f"OpenAI answered {status}: {message}{request_id}. Try again later or with another provider."
        )
    if status == 401:
        return _account(f"OpenAI refused the API key ({message}): the operator must fix OPENAI_API_KEY.")
    if status == 403:
        if "verif" in message.lower():
            return _account(
                f"OpenAI requires a verified organization for GPT Image models: the operator must verify "
                f"it at {VERIFY_URL} (it can take a few minutes to apply)."
            )
        return _account(
            f"OpenAI refused access ({message}): the operator must let OPENAI_API_KEY's project use "
            "the image models."
        )
    if status == 404:
        return ProviderRejected(
            f"OpenAI does not offer this model or endpoint ({message}): set "
            "COACH_IMAGE_OPENAI_MODEL to a current image model.",
            provider=_P,
        )
    param = exc.param or body.get("param")
    named = f" parameter `{param}`" if param else " request"
    return ProviderRejected(
        f"OpenAI refused the{named} ({code or status}): {message}{request_id}", provider=_P
    )


def _blocked(body: dict[str, Any]) -> ProviderBlocked:
    details = body.get("moderation_details") or {}
    stage = details.get("moderation_stage")
    categories = ", ".join(details.get("categories") or []) or "unspecified"
    what = "the generated image" if stage == "output" else "the request"
    return ProviderBlocked(
        f"OpenAI's safety system blocked {what} (categories: {categories}). Do not retry as is: rephrase the "
        "scenario or pick another scene.",
        provider=_P,
    )


def _account(message: str) -> ProviderAccountError:
    return ProviderAccountError(message, provider=_P)


def _unavailable(message: str, *, retryable: bool = False) -> ProviderUnavailable:
    return ProviderUnavailable(message, provider=_P, retryable=retryable)
