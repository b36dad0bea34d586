"""Tool schemas as listed: the same contract as pydantic's, without the bytes a model never needs.

Every byte of `tools/list` is paid in every conversation. Pydantic's JSON schemas carry a title on
every property (`"title": "Run Id"`), `anyOf [X, null]` for each optional value and, in docstrings,
the source code's indentation. The compact form keeps what a client validates against:

- input schemas keep descriptions, enums, bounds and defaults; an optional argument whose default
  is null is listed as its type alone (leaving it out is how a caller says "none");
- output schemas describe the result's top-level fields (type, enum, `required`) and nothing for
  people (no titles, descriptions or defaults); a nested object or list is typed as such, without
  its inner fields (the tool's description and the result's message say what matters in them). A
  nullable value is `"type": [T, "null"]`. Looser, never stricter: structured content conforms.
"""

from __future__ import annotations

from typing import Any

_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not")
_FOR_PEOPLE = ("title", "description", "default", "examples")


def one_line(text: str | None) -> str | None:
    """A docstring or description as one line: the source code's indentation and wrapping removed."""
    return " ".join(text.split()) if text else text


def compact_input(schema: dict[str, Any]) -> dict[str, Any]:
    """An input schema without titles and with optional-null arguments listed as their type."""
    compacted = _walk(schema, output=False)
    for name, prop in list(compacted.get("properties", {}).items()):
        if name not in compacted.get("required", ()) and "default" in prop and prop["default"] is None:
            compacted["properties"][name] = _without_null(prop)
    return compacted


def compact_output(schema: dict[str, Any]) -> dict[str, Any]:
    """An output schema of the top-level fields, with only what validation uses."""
    walked = _walk(schema, output=True)
    properties = {name: _shallow(prop) for name, prop in walked.get("properties", {}).items()}
    compacted = {k: v for k, v in walked.items() if k not in ("$defs", "definitions", "properties")}
    return {**compacted, "properties": properties}


def _shallow(prop: dict[str, Any]) -> dict[str, Any]:
    """A field's schema with anything nested reduced to its JSON type."""
    if "$ref" in prop:
        return {"type": "object"}
    options = prop.get("anyOf")
    if isinstance(options, list):
        types = [_shallow(option).get("type") for option in options]
        if all(isinstance(t, str) for t in types):
            return {"type": list(dict.fromkeys(types))}
        return {}
    kind = prop.get("type")
    if kind in ("array", "object") or (isinstance(kind, list) and {"array", "object"} & set(kind)):
        return {"type": kind}
    return prop


def _walk(schema: Any, *, output: bool) -> Any:
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (output and key in _FOR_PEOPLE):
            continue
        if key == "additionalProperties" and value is True:
            continue  # JSON Schema's default
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            result[key] = {name: _walk(sub, output=output) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            result[key] = [_walk(sub, output=output) for sub in value]
        elif key in _SCHEMA_VALUES:
            result[key] = _walk(value, output=output)
        elif key == "description":
            result[key] = one_line(value)
        else:
            result[key] = value
    if output:
        result = _nullable_as_type_list(result)
    return result


def _nullable_as_type_list(schema: dict[str, Any]) -> dict[str, Any]:
    """`{"anyOf": [{"type": T}, {"type": "null"}]}` as `{"type": [T, "null"]}` (the same set of values)."""
    options = schema.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or {"type": "null"} not in options:
        return schema
    other = next(option for option in options if option != {"type": "null"})
    if set(other) - {"type", "items", "enum", "format"} or not isinstance(other.get("type"), str):
        return schema
    merged = {k: v for k, v in schema.items() if k != "anyOf"}
    merged.update(other, type=[other["type"], "null"])
    merged.pop("enum", None)  # a nullable enum's values: the input schema lists them
    return merged


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    options = prop.get("anyOf")
    if not isinstance(options, list) or {"type": "null"} not in options:
        return prop
    rest = [option for option in options if option != {"type": "null"}]
    merged = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
    if len(rest) == 1:
        return {**rest[0], **merged}
    return {**merged, "anyOf": rest}
