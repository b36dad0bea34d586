"""`coach-image-tools demo` end to end, as a user runs it: a real subprocess, the offline provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tool_server.userdata import keys
from tool_server.userdata.models import Identity, ImageRecord

ROOT = Path(__file__).resolve().parents[2]
DEMO_TIMEOUT_S = 240  # the target is under a minute on the dev machine; CI machines are slower


def run_demo(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_IMAGE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(OPENAI_API_KEY="sk-must-not-be-used", COACH_IMAGE_PROVIDER="openai")  # the demo forces offline
    return subprocess.run(
        [sys.executable, "-m", "tool_server", "demo", "--out", str(out), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )


def read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


@pytest.mark.slow
def test_the_demo_runs_every_tool_offline_and_leaves_the_artefacts(tmp_path: Path) -> None:
    out = tmp_path / "demo"

    finished = run_demo(out, "--json")

    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    steps = {s["step"]: s for s in report["steps"]}
    for step in steps.values():
        assert step["status"] == "ok", step
    assert len(steps) == 11

    data = out / "data"
    user_root = data / "users" / "demo"
    assert (out / "grace_hopper.jpg").is_file()
    photos = read_json(user_root / "photos" / "index.json")["photos"]
    assert len(photos) == 1 and (data / photos[0]["key"]).is_file()
    # The showcase photo passes the product's own quality gate without a warning.
    assert photos[0]["quality"]["verdict"] == "ok", photos[0]["quality"]
    assert steps["reference photo"]["detail"] == "quality ok"

    identity_id = steps["identity"]["result"]["identity_id"]
    identity = Identity.model_validate(read_json(data / keys.identity("demo", identity_id)))
    made = [steps[f"strategy {name}"] for name in ("direct", "generic_swap", "avatar")]
    for step in made:
        result = step["result"]
        assert result["provider"] == "offline"
        assert result["strategy"] == step["step"].removeprefix("strategy ")
        assert result["likeness"]["passed"] is True, step
        record = ImageRecord.model_validate(read_json(data / keys.image_record("demo", result["image_id"])))
        assert (data / record.key).is_file()
        assert result["image_id"] in identity.image_ids
        run_folder = user_root / "runs" / result["run_id"]
        assert any(p.is_file() for p in run_folder.rglob("*")), run_folder
    assert identity.accepted_image_id == steps["strategy direct"]["result"]["image_id"]

    for name in ("face swap", "dog avatar"):
        url = steps[name]["url"]
        assert url and url.startswith("file://"), steps[name]
        assert Path(url.removeprefix("file://")).is_file()
    assert report["total_s"] > 0
    gallery = Path(report["gallery"])
    assert gallery == out / "gallery" / "demo" / "index.html" and gallery.is_file()
    page = gallery.read_text()
    run_ids = sorted(p.name for p in (user_root / "runs").iterdir())
    assert len(run_ids) == 6  # 3 strategies, the avatar, the face swap and the dog avatar
    assert "The Calm Explorer" in page
    for run_id in run_ids:  # every run's page is linked, the dog avatar's too
        assert f'href="runs/{run_id}/index.html"' in page
        assert (gallery.parent / "runs" / run_id / "index.html").is_file()


def test_the_demo_says_what_to_do_when_the_photo_is_missing(tmp_path: Path) -> None:
    finished = run_demo(tmp_path / "demo", "--photo", str(tmp_path / "nobody.jpg"))
    assert finished.returncode == 2
    assert "no file at" in finished.stderr


def test_the_demo_refuses_a_folder_that_holds_an_earlier_demo(tmp_path: Path) -> None:
    earlier = tmp_path / "demo" / "data" / "users"
    earlier.mkdir(parents=True)
    finished = run_demo(tmp_path / "demo")
    assert finished.returncode == 2
    assert "already holds an earlier run" in finished.stderr
    assert list(earlier.iterdir()) == []
