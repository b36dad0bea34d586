"""Write or check server.json (the MCP registry manifest) from pyproject and the Settings model.

python scripts/server_json.py          # rewrite server.json
python scripts/server_json.py --check  # exit 1 if server.json is stale
"""

from __future__ import annotations

import json
import sys
import tomllib
import typing
from pathlib import Path

from pydantic import AliasChoices, SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tool_server.settings import Settings  # noqa: E402

NAME = "io.github.coach-image-tools/coach-image-tools"
DESCRIPTION = "Identity images for LLM coaches that keep the user's face, with a measured likeness score."


def _env_name(field_name: str) -> str:
    field = Settings.model_fields[field_name]
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return "COACH_IMAGE_" + field_name.upper()


def _choices(annotation: object) -> list[str] | None:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in typing.get_args(annotation)]
    if len(args) == 1 and typing.get_origin(args[0]) is typing.Literal:
        return [str(a) for a in typing.get_args(args[0])]
    return None


def environment_variables() -> list[dict[str, object]]:
    variables = []
    for name, field in Settings.model_fields.items():
        secret = SecretStr in typing.get_args(field.annotation) or field.annotation is SecretStr
        entry: dict[str, object] = {
            "name": _env_name(name),
            "description": field.description or name.replace("_", " "),
            "isRequired": False,
            "isSecret": secret,
            "format": "string",
        }
        default = field.get_default(call_default_factory=True)
        if default is not None and not secret:
            entry["default"] = json.dumps(default) if isinstance(default, list) else str(default)
        choices = _choices(field.annotation)
        if choices:
            entry["choices"] = choices
        variables.append(entry)
    return variables


def manifest() -> dict[str, object]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
        "name": NAME,
        "title": "Coach image tools",
        "description": DESCRIPTION,
        "version": project["version"],
        "packages": [
            {
                "registryType": "pypi",
                "identifier": project["name"],
                "version": project["version"],
                "runtimeHint": "uvx",
                "transport": {"type": "stdio"},
                "environmentVariables": environment_variables(),
            }
        ],
    }


def render() -> str:
    return json.dumps(manifest(), indent=2) + "\n"


if __name__ == "__main__":
    target = ROOT / "server.json"
    if "--check" in sys.argv:
        if target.read_text() != render():
            print("server.json is stale: run python scripts/server_json.py", file=sys.stderr)
            sys.exit(1)
        print("server.json is current")
    else:
        target.write_text(render())
        print(f"wrote {target}")
