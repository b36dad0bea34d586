"""scripts/serve and scripts/install as a user's shell runs them (real bash, real venv, real pip)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def script_env(venv_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACH_IMAGE_", "PIP_", "VIRTUAL_ENV"))}
    env.update(COACH_IMAGE_VENV=str(venv_dir), **extra)
    return env


def test_serve_says_on_stderr_that_it_installs_and_keeps_stdout_clean(tmp_path: Path) -> None:
    # An environment without the server, whose pip (borrowed from this interpreter, so no 600 MB
    # download) may not reach an index: the install runs for real and fails at its first download.
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    site = next((target / "lib").glob("python3*/site-packages"))
    pip_home = next(p for p in map(Path, sys.path) if (p / "pip" / "__init__.py").is_file())
    (site / "borrowed_pip.pth").write_text(f"{pip_home}\n")
    result = subprocess.run(
        [str(ROOT / "scripts" / "serve")],
        env=script_env(target, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        cwd="/",
    )
    assert result.stdout == "", result.stdout  # stdout is the MCP channel: nothing else goes there
    lines = result.stderr.splitlines()
    assert "not installed yet: installing into" in lines[0] and "takes a few minutes" in lines[0]
    assert any("installing coach-image-tools and its dependencies" in line for line in lines)
    assert any(f"Obtaining file://{ROOT}" in line for line in lines), result.stderr  # pip's own output
    assert result.returncode != 0
    assert "installed; starting the server" not in result.stderr


def test_serve_with_an_installed_environment_starts_without_a_word_about_installing() -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "serve"), "--help"],
        env=script_env(Path(sys.prefix)),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "install" not in result.stderr
    assert "--transport" in result.stdout


def test_cli_script_runs_the_installed_command_line() -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "cli"), "--help"],
        env=script_env(Path(sys.prefix)),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout and "gallery" in result.stdout
