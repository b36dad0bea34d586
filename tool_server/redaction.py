"""Secret values (API keys, the JWT secret, the URL signing key) cut out of any text that leaves.

Vendors and proxies sometimes quote a key back in an error message; such text reaches tool
results, run records and logs. `build_app` registers the configured secrets; `redact` is applied
where text leaves the process: provider errors (registry), the tool boundary, run records and
every log line.
"""

from __future__ import annotations

from pydantic import SecretStr

from tool_server.settings import Settings

MASK = "[REDACTED]"
_MIN_LENGTH = 8  # shorter values would mask ordinary words
_secrets: set[str] = set()


def register_secrets(settings: Settings) -> None:
    """Remember every secret setting's value (process-wide, like logging itself)."""
    for value in vars(settings).values():
        if isinstance(value, SecretStr) and len(value.get_secret_value()) >= _MIN_LENGTH:
            _secrets.add(value.get_secret_value())


def redact(text: str) -> str:
    """`text` with every registered secret replaced by [REDACTED]."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_error(error: BaseException) -> BaseException:
    """Redact an exception's message in place (its args) and return it."""
    if _secrets and error.args:
        error.args = tuple(redact(a) if isinstance(a, str) else a for a in error.args)
    return error
