"""`coach-image-tools dog pregenerate`, run in-process through Typer's CliRunner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.dogs import fakes
from tests.fakes.fake_openai import FakeOpenAI, images_reply, quota_reply
from tool_server.cli import app
from tool_server.dogs.jobs import job_names


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def run(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    environment = {
        "COACH_IMAGE_STORAGE_URL": str(tmp_path / "data"),
        "COACH_IMAGE_PROVIDER": "offline",
        **env,
    }
    result = CliRunner().invoke(app, ["dog", "pregenerate", *args], env=environment)
    return result.exit_code, result.stdout, result.stderr


def rows(table: str) -> dict[str, list[str]]:
    """Summary table rows by job: [cached, needs_review, cost, notes]."""
    found = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in re.split(r"[│┃]", line)[1:-1]]
        if len(cells) == 5 and cells[0] in job_names():
            found[cells[0]] = cells[1:]
    return found


def cached_avatars(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "data" / "cache" / "dog").rglob("*.png"))


def test_all_twenty_jobs_and_default_are_made_then_skipped_as_cached(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "--concurrency", "3")

    assert code == 0, err
    table = rows(out)
    assert list(table) == job_names() and len(table) == 21
    assert all(row[:3] == ["no", "no", "$0.000"] for row in table.values())
    assert all(row[3] == "offline placeholder" for row in table.values())
    assert "21 ready (0 cached), 0 need review, 0 failed; spent $0.000." in out
    assert "21/21" in err  # the progress bar, on stderr
    assert len(cached_avatars(tmp_path)) == 21

    code, out, _ = run(tmp_path, "--jobs", "chef,pilot", "--jobs", "Support")
    assert code == 0
    assert {job: row[0] for job, row in rows(out).items()} == {
        "chef": "yes",
        "pilot": "yes",
        "support": "yes",
    }
    assert "3 ready (3 cached)" in out


def test_regenerate_makes_them_again(tmp_path: Path) -> None:
    assert run(tmp_path, "--jobs", "qa")[0] == 0
    code, out, _ = run(tmp_path, "--jobs", "qa", "--regenerate", "--size", "1536x1024")
    assert code == 0
    assert rows(out)["qa"][0] == "no"
    assert len(cached_avatars(tmp_path)) == 2  # another size is another cached avatar


def test_a_failed_avatar_is_shown_in_the_table_and_makes_the_exit_code_non_zero(
    tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.enqueue(quota_reply(), images_reply([fakes.good_png()]))
    code, out, _ = run(
        tmp_path,
        "--jobs",
        "chef,pilot",
        "--concurrency",
        "1",
        COACH_IMAGE_PROVIDER="openai",
        COACH_IMAGE_PROVIDER_FALLBACK='["openai"]',
        COACH_IMAGE_PROVIDER_MAX_RETRIES="0",
        OPENAI_API_KEY="sk-test-not-a-real-key",
        OPENAI_BASE_URL=fake_openai.base_url,
    )

    assert code == 1
    table = rows(out)
    assert table["chef"][:3] == ["-", "-", "-"] and table["chef"][3].startswith("failed:")
    assert table["pilot"][:2] == ["no", "no"]
    assert "1 ready (0 cached), 0 need review, 1 failed" in out
    assert len(fake_openai.requests) == 2


def test_an_unknown_job_exits_2_before_making_anything(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "--jobs", "chef,chefs")
    assert code == 2
    assert "Did you mean 'chef'?" in err
    assert out == "" and cached_avatars(tmp_path) == []
