"""Every command in the README's ```bash blocks runs as written in a new shell from the repo root.

A new shell has no activated virtualenv: a bare `python`, `pip` or `coach-image-tools` would reach
the system's, so each command must start with a path in the checkout (scripts/..., .venv/bin/...)
or a program the reader installs themselves (the MCP hosts' own tools).
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import typer.main

from tool_server.cli import app

ROOT = Path(__file__).resolve().parents[1]
# Programs of the reader's own MCP host, not of this checkout.
SYSTEM_COMMANDS = {"claude", "npx"}
ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def readme_commands() -> list[list[str]]:
    """Each command of each ```bash block as shell words: continuations joined, comments cut."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words and ENV_ASSIGNMENT.match(words[0]):
                words = words[1:]
            if words:
                commands.append(words)
    return commands


def console_scripts() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return set(project["scripts"])


def test_the_readme_has_commands_to_check() -> None:
    firsts = {words[0] for words in readme_commands()}
    assert {"scripts/install", "scripts/serve", "scripts/cli", "scripts/test"} <= firsts


def test_every_readme_command_starts_with_something_a_new_shell_finds() -> None:
    wrong = []
    for words in readme_commands():
        program = words[0]
        if program in SYSTEM_COMMANDS:
            continue
        if program.startswith(".venv/bin/"):
            # Made by scripts/install: the venv's python or one of the package's console scripts.
            if program.removeprefix(".venv/bin/") not in {"python", "pip", *console_scripts()}:
                wrong.append(" ".join(words))
        elif not (ROOT / program).is_file() or not os.access(ROOT / program, os.X_OK):
            wrong.append(" ".join(words))
    assert wrong == [], f"not runnable from the repo root in a new shell: {wrong}"


def test_every_readme_cli_command_names_a_real_subcommand() -> None:
    checked = 0
    for words in readme_commands():
        if words[0] != "scripts/cli":
            continue
        command: Any = typer.main.get_command(app)
        for word in words[1:]:
            if not hasattr(command, "commands") or word.startswith(("-", "[")):
                break  # a leaf command's arguments, or options ([...] marks optional ones)
            found = command.commands.get(word)
            assert found is not None, f"{' '.join(words)}: no command {word!r}"
            command = found
        is_group = hasattr(command, "commands")
        assert not is_group or command.invoke_without_command, f"{' '.join(words)} stops at a group"
        checked += 1
    assert checked >= 10
