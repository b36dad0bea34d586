"""`coach-image-tools runs list|show|open` and `gallery me`: output, files and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from typer.testing import CliRunner

from tests.gallery.conftest import MadeRun, make_run
from tool_server.app import AppContext
from tool_server.cli import app as cli

runner = CliRunner()


@pytest.fixture
def made_run(http_app: AppContext) -> MadeRun:
    """The run, made before the test: the CLI starts its own event loop, so tests here are sync."""
    return anyio.run(make_run, http_app)


@pytest.fixture
def env(http_app: AppContext) -> dict[str, str]:
    settings = http_app.settings
    return {
        "COACH_IMAGE_STORAGE_URL": str(settings.storage_url),
        "COACH_IMAGE_USER": settings.user,
        "COACH_IMAGE_GALLERY_DIR": str(settings.gallery_dir),
    }


def test_runs_list_and_show_summarise_the_run(made_run: MadeRun, env: dict[str, str]) -> None:
    best = f"{made_run.result['likeness']['score']:.2f}"
    listed = runner.invoke(cli, ["runs", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.output.splitlines() if made_run.run_id in line)
    assert "identity_image" in row and "done" in row and "The Speaker" in row and best in row

    as_json = runner.invoke(cli, ["runs", "list", "--json"], env=env)
    rows = [json.loads(line) for line in as_json.output.splitlines()]
    assert [r["run_id"] for r in rows] == [made_run.run_id]
    assert rows[0]["best_likeness"] == made_run.result["likeness"]["score"]

    shown = runner.invoke(cli, ["runs", "show", made_run.run_id], env=env)
    assert shown.exit_code == 0, shown.output
    assert "generic_swap" in shown.output and "offline-compositor-v1" in shown.output
    cells = [
        [c.strip() for c in line.split("│")[1:-1]] for line in shown.output.splitlines() if "_a1_c" in line
    ]
    assert [row[2] for row in cells] == ["generic", "generic", "swapped", "swapped"]
    assert [row[3:5] for row in cells] == [["—", "—"], ["—", "—"], [best, "yes"], [best, "yes"]]
    assert shown.output.count("(chosen)") == 1
    record = json.loads(runner.invoke(cli, ["runs", "show", made_run.run_id, "--json"], env=env).output)
    assert record["run_id"] == made_run.run_id and len(record["steps"]) == 4


def test_runs_open_writes_the_page_prints_its_path_and_opens_only_when_asked(
    made_run: MadeRun, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    written = runner.invoke(cli, ["runs", "open", made_run.run_id], env=env)
    assert written.exit_code == 0, written.output
    page = Path(written.stdout.strip())
    assert page == Path(env["COACH_IMAGE_GALLERY_DIR"], "alice", "runs", made_run.run_id, "index.html")
    assert page.is_file() and opened == []

    elsewhere = runner.invoke(
        cli, ["runs", "open", made_run.run_id, "--out", str(tmp_path / "x"), "--open"], env=env
    )
    assert elsewhere.exit_code == 0, elsewhere.output
    assert opened == [Path(elsewhere.stdout.strip()).as_uri()]
    assert Path(elsewhere.stdout.strip()).is_relative_to(tmp_path / "x")

    me = runner.invoke(cli, ["gallery", "me"], env=env)
    assert me.exit_code == 0, me.output
    user_page = Path(me.stdout.strip())
    assert user_page.name == "index.html" and f"runs/{made_run.run_id}/index.html" in user_page.read_text()


def test_exit_codes_scripts_can_trust(tmp_path: Path) -> None:
    env = {**os.environ, "COACH_IMAGE_STORAGE_URL": str(tmp_path / "data"), "COACH_IMAGE_USER": "alice"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tool_server", *args],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            cwd=tmp_path,
        )

    empty = run("runs", "list", "--json")
    assert (empty.returncode, empty.stdout) == (0, "")
    missing = run("runs", "show", "run_0000000000nothere00")
    assert missing.returncode == 1 and "No run with id" in missing.stderr and missing.stdout == ""
    assert run("runs", "open", "run_0000000000nothere00").returncode == 1
    assert run("runs", "open").returncode == 2  # missing argument
    assert run("runs", "list", "--limit", "0").returncode == 2
