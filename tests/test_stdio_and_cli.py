"""The real thing: `python -m tool_server` as a subprocess over stdio, and the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from mcp import Client, StdioServerParameters

import tool_server

ROOT = Path(__file__).resolve().parents[1]


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_IMAGE_")}
    env.update(COACH_IMAGE_STORAGE_URL=str(tmp_path / "data"), COACH_IMAGE_USER="stdio-user", **extra)
    return env


async def test_a_real_subprocess_answers_over_stdio(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "tool_server"], env=server_env(tmp_path), cwd=str(tmp_path)
    )
    async with Client(params) as client:
        tools = await client.list_tools()
        saved = await client.call_tool(
            "save_identity", {"name": "Runner", "visualization": "Finishing a race"}
        )
    assert "add_reference_photo" in {t.name for t in tools.tools}
    identity_id = saved.structured_content["identity_id"]
    assert (tmp_path / "data" / "users" / "stdio-user" / "identities" / f"{identity_id}.json").is_file()


def test_a_bad_setting_exits_with_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tool_server", "serve"],
        env=server_env(tmp_path, COACH_IMAGE_LIKENESS_THRESHOLD="very strict"),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "COACH_IMAGE_LIKENESS_THRESHOLD" in lines[0]


def test_http_refuses_to_bind_beyond_loopback_without_auth(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tool_server", "serve", "--transport", "http", "--host", "0.0.0.0"],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "refusing to start: COACH_IMAGE_HOST=0.0.0.0" in result.stderr
    assert "COACH_IMAGE_JWT_SECRET" in result.stderr and "COACH_IMAGE_JWKS_URL" in result.stderr


def test_http_beyond_loopback_is_allowed_once_auth_is_configured(tmp_path: Path) -> None:
    from tool_server.cli.serve import exposure_problem
    from tool_server.settings import Settings

    open_settings = Settings(host="0.0.0.0", _env_file=None)  # type: ignore[call-arg]
    assert exposure_problem(open_settings) is not None
    secured = Settings(host="0.0.0.0", jwt_secret="s" * 32, _env_file=None)  # type: ignore[call-arg]
    assert exposure_problem(secured) is None
    by_jwks = Settings(host="0.0.0.0", jwks_url="https://idp.example/jwks.json", _env_file=None)  # type: ignore[call-arg]
    assert exposure_problem(by_jwks) is None


def test_importing_the_server_leaves_heavy_libraries_unloaded() -> None:
    probe = (
        "import sys, tool_server.server, tool_server.cli; "
        "heavy = [m for m in ('openai', 'google.genai', 'boto3', 'dlib', 'cv2') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""


def test_server_json_carries_the_pyproject_version_and_every_setting() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    manifest = json.loads((ROOT / "server.json").read_text())
    assert manifest["version"] == version
    assert tool_server.__version__ == version
    assert {p["version"] for p in manifest["packages"]} == {version}
    names = {v["name"] for v in manifest["packages"][0]["environmentVariables"]}
    assert {"COACH_IMAGE_STORAGE_URL", "COACH_IMAGE_USER", "OPENAI_API_KEY", "GEMINI_API_KEY"} <= names
    secrets = {v["name"] for v in manifest["packages"][0]["environmentVariables"] if v["isSecret"]}
    assert secrets == {
        "OPENAI_API_KEY",
        "GEMINI_API_KEY",
        "COACH_IMAGE_JWT_SECRET",
        "COACH_IMAGE_URL_SIGNING_KEY",
        "COACH_IMAGE_REDIS_URL",  # may carry a password
    }
    check = subprocess.run(
        [sys.executable, "scripts/server_json.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    assert "mcp-name: " + manifest["name"] in (ROOT / "README.md").read_text()


def test_without_arguments_it_serves_stdio_without_loading_the_cli_framework(tmp_path: Path) -> None:
    # What MCP clients spawn on every launch: Typer and Click would add ~0.25 s to each cold start.
    # The start-up heap is frozen, out of the garbage collector's way (no 0.1 s full passes).
    code = (
        "import gc, sys; sys.argv = ['coach-image-tools']; from tool_server.__main__ import main; main(); "
        "print('typer' in sys.modules, gc.get_freeze_count() > 10_000)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=server_env(tmp_path, COACH_IMAGE_LOG_LEVEL="WARNING"),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,  # end of input: the stdio server stops
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False True"


def test_without_arguments_a_bad_setting_also_exits_with_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tool_server"],
        env=server_env(tmp_path, COACH_IMAGE_MAX_ATTEMPTS="many"),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "coach-image-tools: bad setting COACH_IMAGE_MAX_ATTEMPTS: "
        "Input should be a valid integer, unable to parse string as an integer"
    ]
