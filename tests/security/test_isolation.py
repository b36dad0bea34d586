"""User B, with a valid token, tries every tool and resource on user A's ids: always "not found".

Every lookup is by key under the acting user's own prefix (`users/{user}/...`), so B asking for A's
id is the same operation as B asking for an id nobody has: same code path, same message, same
storage reads. The matrix checks the messages are identical after the id itself is masked.

Add a row per new tool or resource taking an id (a test below checks every kind of id is covered).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from mcp.shared.exceptions import MCPError

from tests.security.conftest import RunningServer, ServeFor, mcp_client, mint, seed_user
from tool_server.ids import new_id

Args = Callable[[str, dict[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class Probe:
    label: str
    kind: Literal["tool", "resource"]
    target: str  # a tool name, or a resource URI with `{id}`
    id_kind: Literal["photo", "identity", "image", "run", "avatar"]
    args: Args | None = None  # tools: arguments from (A's id, B's own ids)


PREFIXES = {"photo": "photo", "identity": "idn", "image": "img", "run": "run", "avatar": "avt"}

PROBES = [
    Probe(
        "remove_reference_photo", "tool", "remove_reference_photo", "photo", lambda i, own: {"photo_id": i}
    ),
    Probe(
        "generate_identity_image",
        "tool",
        "generate_identity_image",
        "identity",
        lambda i, own: {"identity_id": i},
    ),
    Probe(
        "accept_identity_visualization",
        "tool",
        "accept_identity_visualization",
        "identity",
        lambda i, own: {"identity_id": i},
    ),
    Probe(
        "accept_identity_visualization image",
        "tool",
        "accept_identity_visualization",
        "image",
        lambda i, own: {"identity_id": own["identity"], "image_id": i},
    ),
    Probe("get_run", "tool", "get_run", "run", lambda i, own: {"run_id": i}),
    Probe("approve_avatar", "tool", "approve_avatar", "avatar", lambda i, own: {"avatar_id": i}),
    Probe("face_swap target", "tool", "face_swap", "image", lambda i, own: {"target_image_id": i}),
    Probe(
        "refine_identity_image",
        "tool",
        "refine_identity_image",
        "image",
        lambda i, own: {"image_id": i, "instruction": "smile"},
    ),
    Probe("avatar headshot", "tool", "generate_avatar", "image", lambda i, own: {"headshot_image_id": i}),
    Probe("coach://runs", "resource", "coach://runs/{id}", "run"),
    Probe("coach://identities", "resource", "coach://identities/{id}", "identity"),
    Probe("coach://images", "resource", "coach://images/{id}", "image"),
]


async def _attempt(
    server: RunningServer, token: str, probe: Probe, target_id: str, own: dict[str, str]
) -> str:
    """The error text user B gets; fails the test if B gets anything but an error."""
    async with mcp_client(server, token) as client:
        if probe.kind == "tool":
            assert probe.args is not None
            result = await client.call_tool(probe.target, probe.args(target_id, own))
            assert result.is_error, f"{probe.label}: B got {result.structured_content}"
            return str(result.content[0].text)  # type: ignore[union-attr]
        with pytest.raises(MCPError) as error:
            await client.read_resource(probe.target.format(id=target_id))
        return str(error.value)


async def test_user_b_gets_not_found_for_every_id_of_user_a_with_no_existence_leak(serve: ServeFor) -> None:
    with serve() as server:
        a_ids = await seed_user(server, "user-a")
        async with mcp_client(server, mint("user-b")) as client:
            saved = await client.call_tool("save_identity", {"name": "Mine", "visualization": "Running"})
        b_own = {"identity": str(saved.structured_content["identity_id"])}  # type: ignore[index]
        token_b = mint("user-b")
        before = sorted(await server.app.blobs.list("users/user-a/"))
        for probe in PROBES:
            foreign = a_ids[probe.id_kind]
            unknown = new_id(PREFIXES[probe.id_kind])
            real = await _attempt(server, token_b, probe, foreign, b_own)
            made_up = await _attempt(server, token_b, probe, unknown, b_own)
            assert "not found" in real.lower() or "no " in real.lower() or "not one of" in real, (
                probe.label,
                real,
            )
            assert real.replace(foreign, "<id>") == made_up.replace(unknown, "<id>"), probe.label
        assert sorted(await server.app.blobs.list("users/user-a/")) == before
        # B's view of "me" resources is B's own: no photo, even though A has one.
        async with mcp_client(server, token_b) as client:
            listed = await client.call_tool("list_reference_photos", {})
        assert listed.structured_content["photo_count"] == 0  # type: ignore[index]


def test_the_matrix_covers_every_kind_of_id() -> None:
    assert {p.id_kind for p in PROBES} == set(PREFIXES)
