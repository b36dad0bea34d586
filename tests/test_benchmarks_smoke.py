"""The benchmark harness in its tiny mode: every item runs and reports a row; timings are not judged."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.report import write_json
from benchmarks.runner import ITEMS, TINY, parse_items, run_benchmarks
from tool_server.cli import app as cli


@pytest.mark.slow
async def test_every_item_of_the_issue_runs_in_tiny_mode_and_writes_its_rows(tmp_path: Path) -> None:
    rows = await run_benchmarks(TINY)

    assert {row.item for row in rows} == set(ITEMS)
    for row in rows:
        assert math.isfinite(row.value) and row.value >= 0, row
        assert row.target and row.passed in (True, False), row
    by_name = {row.name: row for row in rows}
    overhead = next(row for row in rows if row.item == 2)
    assert set(overhead.data["stages_ms"]) >= {
        "decode",
        "face analysis",
        "provider round trip",
        "storage",
        "preview encoding",
    }
    assert overhead.data["stages_ms"]["face analysis"] > 0  # the worker process's spans arrive
    dog_calls = next(row for row in rows if row.item == 4 and "provider calls" in row.name)
    assert dog_calls.value == 1  # a count, not a timing: single flight holds at any speed
    payload = next(row for row in rows if row.item == 6)
    assert payload.data["errors"] == [] and payload.data["not_measured"] == []
    assert "generate_identity_image" in payload.data["bytes"]

    path = tmp_path / "latest.json"
    write_json(rows, path, mode="tiny")
    document = json.loads(path.read_text())
    assert document["mode"] == "tiny" and document["machine"]["cpus"]
    assert [row["name"] for row in document["rows"]] == list(by_name)
    assert {row["result"] for row in document["rows"]} <= {"pass", "FAIL", "-"}


def test_the_bench_command_runs_chosen_items_and_writes_json(tmp_path: Path) -> None:
    path = tmp_path / "figures.json"
    result = CliRunner().invoke(cli, ["bench", "--tiny", "--only", "5", "--json", str(path)])

    assert result.exit_code in (0, 1), result.output
    [row] = json.loads(path.read_text())["rows"]
    assert row["item"] == 5 and row["unit"] == "x"
    assert "dog validation" in result.output


def test_the_bench_command_says_what_to_do_outside_a_source_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tool_server.cli.bench.CHECKOUT", tmp_path)

    result = CliRunner().invoke(cli, ["bench"])

    assert result.exit_code == 2
    assert "source checkout" in result.output


def test_unknown_items_are_refused_with_the_valid_range() -> None:
    assert parse_items("6, 1,4") == [1, 4, 6]
    with pytest.raises(ValueError, match="choose from 1-10"):
        parse_items("11")
    with pytest.raises(ValueError, match="item numbers"):
        parse_items("all")
