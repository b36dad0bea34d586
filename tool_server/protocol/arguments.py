"""Argument errors in words: which argument, what was given, what is allowed.

The SDK answers a bad argument with pydantic's dump ("2 validation errors for
set_body_profileArguments ... errors.pydantic.dev"), which a coach reads poorly. These helpers
turn the same `ValidationError` into one sentence per argument, using the tool's input schema
for what is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from tool_server.redaction import redact

GIVEN_MAX = 60


def unknown_arguments(arguments: Mapping[str, Any], schema: Mapping[str, Any] | None) -> list[str]:
    """Names in `arguments` that the input schema does not have (the SDK would drop them silently)."""
    if schema is None:
        return []
    known = schema.get("properties", {})
    return sorted(name for name in arguments if name not in known)


def argument_error_text(
    tool: str,
    schema: Mapping[str, Any] | None,
    *,
    error: ValidationError | None = None,
    unknown: Iterable[str] = (),
    arguments: Mapping[str, Any] | None = None,
) -> str:
    """The tool error for bad arguments: one sentence per problem, then what to do."""
    properties: Mapping[str, Any] = (schema or {}).get("properties", {})
    problems = [_unknown(name, (arguments or {}).get(name), tool, properties) for name in unknown]
    if error is not None:
        problems += [_problem(detail, properties) for detail in error.errors(include_url=False)]
    text = " ".join(problems)
    return redact(f"Error executing tool {tool}: nothing was done. {text} Correct it and call {tool} again.")


def given(value: Any) -> str:
    """The value as the caller sent it, in JSON, cut to a few dozen characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= GIVEN_MAX else text[: GIVEN_MAX - 1] + "…"


def _problem(detail: Mapping[str, Any], properties: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in detail["loc"]) or "arguments"
    prop = properties.get(str(detail["loc"][0]), {}) if detail["loc"] else {}
    if detail["type"] == "missing":
        return f"`{location}` is required but was not given{_hint(prop, nested=len(detail['loc']) > 1)}."
    rule = str(detail["msg"])  # pydantic's words for what is allowed: "Input should be 'a' or 'b'"
    rule = rule[0].lower() + rule[1:] if rule.startswith("Input") else rule
    return f"`{location}` was {given(detail.get('input'))}: {rule.rstrip('.')}."


def _unknown(name: str, value: Any, tool: str, properties: Mapping[str, Any]) -> str:
    names = ", ".join(properties) or "none"
    return f"`{name}` (given {given(value)}) is not an argument of {tool}; its arguments are: {names}."


def _hint(prop: Mapping[str, Any], *, nested: bool = False) -> str:
    description = prop.get("description")
    if nested or not description:
        return ""
    text = " ".join(str(description).split())
    return f" ({text.rstrip('.')})" if len(text) <= 160 else f" ({text[:159]}…)"
