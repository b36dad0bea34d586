"""The CLI mirrors the tools: same results, the tool's own error text, exit codes scripts can trust."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.cli.conftest import Invoke
from tests.conftest import Connect
from tool_server.app import AppContext
from tool_server.cli.generate import generate_image
from tool_server.cli.output import progress_bars
from tool_server.cli.tools_client import ToolSession
from tool_server.cli.wording import for_person
from tool_server.server import create_server
from tool_server.settings import Settings
from tool_server.userdata import keys


def server_tools(connect: Connect) -> set[str]:
    async def list_names() -> set[str]:
        async with connect() as client:
            return {t.name for t in (await client.list_tools()).tools}

    return anyio.run(list_names)


def output_json(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.stderr or result.output
    return dict(json.loads(result.stdout))


def test_photos_add_list_remove_round_trip_through_the_tools(invoke: Invoke, portrait_file: Path) -> None:
    added = output_json(invoke("photos", "add", str(portrait_file), "--json"))["photos"]
    photo_id = added[0]["photo_id"]
    listed = output_json(invoke("photos", "list", "--json"))
    removed = invoke("photos", "remove", photo_id)
    after = output_json(invoke("photos", "list", "--json"))

    assert added[0]["quality_verdict"] in ("ok", "warn")
    assert [p["photo_id"] for p in listed["photos"]] == [photo_id]
    assert listed["photos"][0]["primary"] is True
    assert removed.exit_code == 0
    assert f"Removed {photo_id}; 0 photo(s) left." in removed.stdout
    assert after["photos"] == []


def test_photos_list_prints_a_table_with_the_photo(invoke: Invoke, portrait_file: Path) -> None:
    photo_id = output_json(invoke("photos", "add", str(portrait_file), "--json"))["photos"][0]["photo_id"]
    table = invoke("photos", "list")
    assert table.exit_code == 0
    assert "Reference photos (1 of 5)" in table.stdout
    assert photo_id in table.stdout


def test_a_tool_error_exits_1_with_the_tools_message_worded_for_the_terminal(
    invoke: Invoke, connect: Connect
) -> None:
    async def call_directly() -> Any:
        async with connect() as client:
            return await client.call_tool("remove_reference_photo", {"photo_id": "photo_does_not_exist"})

    direct = anyio.run(call_directly)
    tool_text = direct.content[0].text.removeprefix("Error executing tool remove_reference_photo: ")

    result = invoke("photos", "remove", "photo_does_not_exist")

    assert direct.is_error
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == f"coach-image-tools: {for_person(tool_text)}"


def test_adding_a_missing_file_exits_1_and_names_it(
    invoke: Invoke, portrait_file: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.jpg"
    result = invoke("photos", "add", str(portrait_file), str(missing))
    assert result.exit_code == 1
    assert "No file at" in result.stderr and "nope.jpg" in result.stderr
    assert output_json(invoke("photos", "list", "--json"))["photo_count"] == 1


@pytest.mark.parametrize(
    "args",
    [
        ("profile", "set", "--gender", "robot"),
        ("profile", "set"),
        ("generate", "idn_x", "--strategy", "magic"),
        ("generate", "idn_x", "--candidates", "9"),
        ("swap",),
        ("photos", "frobnicate"),
    ],
)
def test_bad_usage_exits_2_before_any_tool_runs(
    invoke: Invoke, app: AppContext, args: tuple[str, ...]
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    stored = [p for p in Path(app.settings.resolved_storage_url()).rglob("*") if p.is_file()]
    assert stored == []


def test_profile_set_and_show_match_the_resource(invoke: Invoke, connect: Connect) -> None:
    saved = output_json(invoke("profile", "set", "--gender", "woman", "--build", "athletic", "--json"))
    shown = output_json(invoke("profile", "show", "--json"))

    async def read_directly() -> Any:
        async with connect() as client:
            return await client.read_resource("coach://me/body_profile")

    resource = anyio.run(read_directly)

    assert saved["gender"] == "woman" and saved["missing"] == ["height", "skin_tone"]
    assert shown == json.loads(resource.contents[0].text)


def test_generate_then_accept_makes_and_accepts_a_scored_image(
    invoke: Invoke, portrait_file: Path, app: AppContext
) -> None:
    invoke("photos", "add", str(portrait_file))
    saved = output_json(invoke("identities", "save", "Runner", "-v", "Finishing a marathon", "--json"))
    identity_id = saved["identity_id"]

    made = output_json(invoke("generate", identity_id, "--strategy", "direct", "--candidates", "1", "--json"))
    accepted = invoke("accept", identity_id)
    listed = output_json(invoke("identities", "list", "--json"))["identities"][0]

    assert made["status"] == "done" and made["strategy"] == "direct" and made["provider"] == "offline"
    assert made["likeness"]["passed"] is True
    image_path = Path(app.settings.resolved_storage_url()) / keys.image_record(
        app.settings.user, made["image_id"]
    )
    assert image_path.is_file()
    assert accepted.exit_code == 0 and f"Accepted {made['image_id']}" in accepted.stdout
    assert listed["accepted_image_id"] == made["image_id"]


def test_generate_prints_a_summary_table_and_the_image(invoke: Invoke, portrait_file: Path) -> None:
    invoke("photos", "add", str(portrait_file))
    identity_id = output_json(invoke("identities", "save", "Runner", "-v", "At the finish line", "--json"))[
        "identity_id"
    ]
    result = invoke("generate", identity_id, "--candidates", "2", "--strategy", "direct")
    assert result.exit_code == 0, result.stderr
    assert "offline offline-compositor" in result.stdout
    assert result.stdout.count("img_") >= 3  # two candidates, plus the image line
    assert "Image: file://" in result.stdout
    assert "generated" in result.stderr  # the progress bar goes to stderr


async def test_tool_progress_notifications_drive_the_progress_bar(
    connect: Connect, portrait_file: Path
) -> None:
    async with connect() as client:
        await client.call_tool("add_reference_photo", {"path": str(portrait_file)})
        saved = await client.call_tool("save_identity", {"name": "Chef", "visualization": "Cooking dinner"})
        session = ToolSession(client, frozenset(t.name for t in (await client.list_tools()).tools))
        seen: list[tuple[float, float | None, str | None]] = []
        with progress_bars() as bars:
            task = bars.add("generating")
            forward = bars.callback(task, "generating")

            async def record(progress: float, total: float | None, message: str | None) -> None:
                seen.append((progress, total, message))
                await forward(progress, total, message)

            await generate_image(
                session,
                {
                    "identity_id": saved.structured_content["identity_id"],
                    "strategy": "direct",
                    "candidates": 1,
                },
                record,
            )
            shown = bars.progress.tasks[0]

    assert len(seen) >= 3
    assert [p for p, _, _ in seen] == sorted(p for p, _, _ in seen)
    assert shown.completed == seen[-1][0] and shown.total == seen[-1][1]
    assert shown.description == f"generating: {seen[-1][2]}"


class RecordingSession(ToolSession):
    """A real tool session that remembers which tools it called."""

    called: list[str]

    async def call(
        self, name: str, arguments: dict[str, Any] | None = None, progress: Any = None
    ) -> dict[str, Any]:
        self.called.append(name)
        return await super().call(name, arguments, progress)


async def test_a_pending_generation_is_followed_with_get_run_until_done(
    settings: Settings, portrait_file: Path
) -> None:
    impatient = settings.model_copy(update={"sync_deadline_s": 0.01})
    async with Client(create_server(impatient, "stdio")) as client:
        await client.call_tool("add_reference_photo", {"path": str(portrait_file)})
        saved = await client.call_tool("save_identity", {"name": "Chef", "visualization": "Cooking dinner"})
        session = RecordingSession(client, frozenset(t.name for t in (await client.list_tools()).tools))
        session.called = []
        arguments = {
            "identity_id": saved.structured_content["identity_id"],
            "strategy": "direct",
            "candidates": 1,
        }
        result = await generate_image(session, arguments, poll_s=0.05)

    assert session.called[0] == "generate_identity_image"
    assert session.called[1:] and set(session.called[1:]) == {"get_run"}
    assert result["status"] == "done" and result["likeness"]["passed"] is True


def test_avatar_and_swap_commands_drive_the_tools(
    invoke: Invoke, connect: Connect, portrait_file: Path, tmp_path: Path
) -> None:
    from tool_server.providers.offline_render import generic_person

    invoke("photos", "add", str(portrait_file))
    made = output_json(invoke("avatar", "--candidates", "1", "--provider", "offline", "--json"))
    approved = output_json(invoke("avatar", "approve", made["best_avatar_id"], "--json"))
    scene = tmp_path / "scene.jpg"
    scene.write_bytes(generic_person())
    swapped = output_json(invoke("swap", str(scene), "--provider", "offline", "--json"))
    table = invoke("swap", str(scene), "--provider", "offline")

    assert made["avatars"] and made["best_avatar_id"] in {a["avatar_id"] for a in made["avatars"]}
    assert approved["avatar_id"] == made["best_avatar_id"]
    assert swapped["image_id"] and swapped["likeness"] is not None
    assert table.exit_code == 0 and "Face swap" in table.stdout


def test_refine_generate_all_and_avatar_from_a_headshot_commands_drive_the_new_tools(
    invoke: Invoke, portrait_file: Path
) -> None:
    invoke("photos", "add", str(portrait_file))
    identity_id = output_json(invoke("identities", "save", "Runner", "-v", "At the finish line", "--json"))[
        "identity_id"
    ]
    invoke("identities", "save", "Cook", "-v", "Cooking dinner")
    made = output_json(invoke("generate", identity_id, "--candidates", "1", "--json"))
    invoke("accept", identity_id)
    refined = invoke("refine", made["image_id"], "smiling more", "--candidates", "1")
    batch = invoke("generate-all", "--candidates", "1")
    avatar = output_json(invoke("avatar", "--headshot-id", made["image_id"], "--json"))

    assert refined.exit_code == 0, refined.stderr
    assert f"Refined {made['image_id']}" in refined.stdout and "passes at 0.50" in refined.stdout
    assert batch.exit_code == 0, batch.stderr
    assert "skipped" in batch.stdout and "done" in batch.stdout and "passes at 0.50" in batch.stdout
    assert [a["passed"] for a in avatar["avatars"]] == [True]
