"""`coach-image-tools eval`: a tiny offline eval, its table recomputed from its own runs."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Invoke
from tests.photo_files import encode, portrait
from tool_server.userdata import keys
from tool_server.userdata.models import ImageRecord

IDENTITIES = {
    "profile": {"gender": "woman", "height": "tall", "build": "athletic", "skin_tone": "light"},
    "identities": [
        {"name": "The Runner", "visualization": "Crossing the finish line of a marathon"},
        {
            "name": "The Founder",
            "visualization": "Presenting on a small stage",
            "i_am_statement": "I am calm",
        },
    ],
}


@pytest.fixture
def eval_inputs(tmp_path: Path) -> tuple[Path, Path]:
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "me.jpg").write_bytes(encode(portrait()))
    (photos / "notes.txt").write_text("not a photo")
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps(IDENTITIES))
    return photos, identities


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_a_tiny_offline_eval_writes_a_table_that_matches_its_runs(
    invoke: Invoke, eval_inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    photos, identities = eval_inputs
    out = tmp_path / "eval"
    args = ["--photos", str(photos), "--identities", str(identities), "--runs", "2", "--out", str(out)]
    strategies = ["--strategies", "direct,generic_swap", "--strategies", "avatar", "--providers", "offline"]

    result = invoke("eval", *args, *strategies)

    assert result.exit_code == 0, result.stderr
    assert "Eval: 2 run(s) per strategy x provider" in result.stdout
    summary = {row["strategy"]: row for row in read_csv(out / "eval.csv")}
    runs = read_csv(out / "eval_runs.csv")
    report: dict[str, Any] = json.loads((out / "eval.json").read_text())
    assert list(summary) == ["direct", "generic_swap", "avatar"]
    assert report["photos"] == ["me.jpg"]

    data = out / "data"
    for strategy in ("direct", "generic_swap", "avatar"):
        mine = [r for r in runs if r["strategy"] == strategy]
        row = summary[strategy]
        scores = [float(r["score"]) for r in mine]
        passes = [r["passed"] == "True" for r in mine]
        assert len(mine) == 2 and row["runs"] == "2" and row["errors"] == "0", row
        assert {r["identity_id"] for r in mine} == {r["identity_id"] for r in runs}  # both identities used
        assert float(row["mean_score"]) == pytest.approx(statistics.fmean(scores), abs=1e-4)
        assert float(row["sd_score"]) == pytest.approx(statistics.pstdev(scores), abs=1e-4)
        assert float(row["pass_rate"]) == pytest.approx(sum(passes) / 2)
        assert row["cost_usd"] == "0.0"  # the offline provider is free
        for run in mine:
            record = ImageRecord.model_validate_json(
                (data / keys.image_record("eval", run["image_id"])).read_text()
            )
            assert (data / record.key).is_file()
            assert (data / "users" / "eval" / "runs" / run["run_id"]).is_dir()
    assert summary["direct"]["pass_rate"] == "1.0"  # the offline composite keeps the face


def test_an_eval_with_no_usable_provider_reports_the_errors_and_exits_1(
    invoke: Invoke, eval_inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    photos, identities = eval_inputs
    out = tmp_path / "eval"
    args = ["--photos", str(photos), "--identities", str(identities), "--runs", "1", "--out", str(out)]

    result = invoke("eval", *args, "--strategies", "direct", "--providers", "gemini")

    assert result.exit_code == 1
    assert "no eval run produced an image" in result.stderr
    (row,) = read_csv(out / "eval.csv")
    (run,) = read_csv(out / "eval_runs.csv")
    assert row["errors"] == "1" and row["pass_rate"] == "0.0" and row["cost_per_pass_usd"] == ""
    assert run["error"] and run["error"] in row["note"]
    assert "GEMINI_API_KEY" in run["error"]


@pytest.mark.parametrize(
    "extra",
    [
        ("--strategies", "direct,teleport"),
        ("--providers", "midjourney"),
        ("--runs", "0"),
    ],
)
def test_eval_rejects_bad_choices_with_exit_2(
    invoke: Invoke, eval_inputs: tuple[Path, Path], extra: tuple[str, ...]
) -> None:
    photos, identities = eval_inputs
    result = invoke("eval", "--photos", str(photos), "--identities", str(identities), *extra)
    assert result.exit_code == 2


def test_eval_explains_a_bad_identities_file(
    invoke: Invoke, eval_inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    photos, _ = eval_inputs
    bad = tmp_path / "ids.toml"
    bad.write_text('[[identities]]\nname = "No visualization"\n')
    result = invoke("eval", "--photos", str(photos), "--identities", str(bad))
    assert result.exit_code == 2
    assert "each with a name and a visualization" in result.stderr


def test_eval_with_reference_counts_runs_each_strategy_with_1_3_and_5_photos(
    invoke: Invoke, tmp_path: Path
) -> None:
    photos = tmp_path / "five"
    photos.mkdir()
    for number in range(5):
        (photos / f"me{number}.jpg").write_bytes(encode(portrait(colour=(60 + 40 * number, 120, 90))))
    identities = tmp_path / "identities.json"
    identities.write_text(json.dumps(IDENTITIES))
    out = tmp_path / "eval"
    args = ["--photos", str(photos), "--identities", str(identities), "--runs", "1", "--out", str(out)]

    result = invoke("eval", *args, "--strategies", "direct,generic_swap", "--references", "5,1,3")

    assert result.exit_code == 0, result.stderr
    print("\n" + result.stdout)
    rows = read_csv(out / "eval.csv")
    assert [(r["references"], r["strategy"]) for r in rows] == [
        (count, strategy) for count in ("1", "3", "5") for strategy in ("direct", "generic_swap")
    ]
    runs = read_csv(out / "eval_runs.csv")
    for row in rows:
        mine = [r for r in runs if (r["strategy"], r["references"]) == (row["strategy"], row["references"])]
        distances = [float(r["distance"]) for r in mine]
        assert float(row["median_distance"]) == pytest.approx(statistics.median(distances), abs=1e-4)
    assert "median distance" in result.stdout and "$ per passing image" in result.stdout
    assert json.loads((out / "eval.json").read_text())["reference_counts"] == [1, 3, 5]


def test_eval_with_more_references_than_photos_says_so_in_the_note(
    invoke: Invoke, eval_inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    photos, identities = eval_inputs
    out = tmp_path / "eval"
    args = ["--photos", str(photos), "--identities", str(identities), "--runs", "1", "--out", str(out)]
    result = invoke("eval", *args, "--strategies", "direct", "--references", "1,3")
    assert result.exit_code == 0, result.stderr
    rows = read_csv(out / "eval.csv")
    assert [r["references"] for r in rows] == ["1", "3"]
    assert rows[1]["runs"] == "0" and "only 1 usable photo" in rows[1]["note"]
    bad = invoke("eval", "--photos", str(photos), "--identities", str(identities), "--references", "a,b")
    assert bad.exit_code == 2 and "--references" in bad.stderr
