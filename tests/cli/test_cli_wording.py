"""The CLI speaks to the person at the terminal, not to the coach LLM the tools write for."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tool_server.cli.wording import for_person

# Phrases the tools address to the coach LLM: none may reach a terminal.
LLM_PHRASES = (
    "the user",
    "guide the",
    "attached",
    "describe the scene",
    "show the user",
    "ask the user",
    "do not present",
    "the coach",
    "regenerate=true",
    "they like",
    "add_reference_photo",
    "set_body_profile",
    "accept_identity_visualization",
    "approve_avatar",
    "get_run",
)


def llm_phrases_in(text: str) -> list[str]:
    lowered = text.lower()
    return [phrase for phrase in LLM_PHRASES if phrase in lowered]


def printed(result: object) -> str:
    return f"{getattr(result, 'stdout', '')}\n{getattr(result, 'stderr', '')}"


def test_every_command_of_the_flow_prints_words_for_a_person(
    invoke: Invoke, portrait_file: Path, tmp_path: Path
) -> None:
    outputs: dict[str, str] = {}

    def run(*args: str, code: int = 0) -> str:
        result = invoke(*args)
        assert result.exit_code == code, printed(result)
        outputs[" ".join(args)] = printed(result)
        return printed(result)

    identity = json.loads(invoke("identities", "save", "Runner", "-v", "At the finish line", "--json").stdout)
    identity_id = identity["identity_id"]
    run("generate", identity_id, "--strategy", "direct", code=1)  # no photo yet
    run("photos", "remove", "photo_does_not_exist", code=1)
    run("photos", "add", str(portrait_file))
    run("photos", "add", str(portrait_file), code=1)  # the same photo again
    run("photos", "list")
    run("profile", "set", "--gender", "woman")  # still incomplete
    run("profile", "show")
    run("identities", "save", "Founder", "-v", "On stage, calm")
    run("identities", "list")
    run("generate", identity_id, "--strategy", "direct", "--candidates", "1")
    run("accept", identity_id)
    avatar = run("avatar", "--candidates", "1", "--provider", "offline")
    avatar_id = re.search(r"avt_\w+", avatar)
    assert avatar_id is not None, avatar
    run("avatar", "approve", avatar_id.group(0))
    scene = tmp_path / "scene.jpg"
    scene.write_bytes(portrait_file.read_bytes())
    run("swap", str(scene), "--provider", "offline")
    run("runs", "list")

    found = {command: llm_phrases_in(text) for command, text in outputs.items()}
    assert {command: hits for command, hits in found.items() if hits} == {}
    assert (
        "No reference photo yet: upload a clear photo of your face with"
        in outputs[f"generate {identity_id} --strategy direct"]
    )
    assert "`coach-image-tools photos add`" in outputs[f"generate {identity_id} --strategy direct"]


@pytest.mark.parametrize(
    ("tool_text", "person_text"),
    [
        (
            "No photo yet: guide the user to upload one with add_reference_photo.",
            "No photo yet: upload one with `coach-image-tools photos add`.",
        ),
        (
            "Made 1 image(s); the best (img_1) is the user's face with likeness 0.82. A preview is "
            "attached and the full image is linked. Describe the scene to the user, and accept it with "
            "accept_identity_visualization if they like it.",
            "Made 1 image(s); the best (img_1) is your face with likeness 0.82. If you like it, accept "
            "it with `coach-image-tools accept`.",
        ),
        (
            "The best is av_1 (headshot likeness 0.99); its headshot preview is attached. Show the user, "
            "and when they are happy call approve_avatar with the avatar_id they chose.",
            "The best is av_1 (headshot likeness 0.99). Approve the one you like with "
            "`coach-image-tools avatar approve`.",
        ),
        (
            "This photo is already saved. Ask the user for a different photo.",
            "This photo is already saved. Use a different photo.",
        ),
    ],
)
def test_tool_messages_are_reworded_for_the_terminal(tool_text: str, person_text: str) -> None:
    assert for_person(tool_text) == person_text
    assert llm_phrases_in(for_person(tool_text)) == []
