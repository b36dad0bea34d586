"""CLI fixtures: the command line pointed at the test's storage, run in-process with typer's runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from tests.photo_files import encode, portrait
from tool_server.cli import app as cli_app
from tool_server.settings import Settings

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """`invoke("photos", "list", "--json")`: the CLI on the same storage and user as the `app` fixture."""
    monkeypatch.setenv("COACH_IMAGE_STORAGE_URL", settings.resolved_storage_url())
    monkeypatch.setenv("COACH_IMAGE_USER", settings.user)
    monkeypatch.setenv("COACH_IMAGE_PROVIDER", "offline")
    runner = CliRunner()

    def _invoke(*args: str) -> Result:
        result = runner.invoke(cli_app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a crash, not an exit code: show the traceback
        return result

    return _invoke


@pytest.fixture
def portrait_file(tmp_path: Path) -> Path:
    path = tmp_path / "me.jpg"
    path.write_bytes(encode(portrait()))
    return path
