"""Item 6: the size of every tool's result on the wire, each tool called once with valid arguments.

The tools come from `tools/list`, so a tool added later is measured too: the ones below get
arguments that work for a user with a photo, a body profile, an identity and a generated image;
a tool without required arguments is called with none; any other tool is reported as not measured
(give it arguments in `ARGUMENTS`). Destructive tools run last.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp import Client

from benchmarks.report import Row
from benchmarks.workload import (
    GENERATE_ARGS,
    build_bench_app,
    fake_provider,
    in_process_client,
    prepare_user,
    reference_photo_base64,
)

EACH_TARGET = 200_000
HARD_LIMIT = 1024 * 1024

Ids = dict[str, str]
# Tool name -> its arguments, from the ids earlier results gave (in the order they are called).
ARGUMENTS: dict[str, Callable[[Ids], dict[str, Any]]] = {
    "add_reference_photo": lambda ids: {"image_base64": reference_photo_base64(tint=(150, 160, 170))},
    "list_reference_photos": lambda ids: {},
    "set_body_profile": lambda ids: {"gender": "woman", "height": "tall", "build": "athletic"},
    "save_identity": lambda ids: {"name": "The Runner", "visualization": "Crossing a marathon finish line"},
    "list_identities": lambda ids: {},
    "generate_identity_image": lambda ids: {"identity_id": ids["identity_id"], **GENERATE_ARGS},
    "get_run": lambda ids: {"run_id": ids["run_id"]},
    "accept_identity_visualization": lambda ids: {"identity_id": ids["identity_id"]},
    "refine_identity_image": lambda ids: {"image_id": ids["image_id"], "instruction": "smile"},
    "generate_all_identity_images": lambda ids: {"candidates": 1, "strategy": "direct"},
    "generate_avatar": lambda ids: {"candidates": 1},
    "approve_avatar": lambda ids: {"avatar_id": ids["avatar_id"]},
    "face_swap": lambda ids: {"target_image_id": ids["image_id"]},
    "dog_avatar": lambda ids: {"job": "developer"},
    "remove_reference_photo": lambda ids: {"photo_id": ids["photo_id"]},
    "delete_my_data": lambda ids: {"confirm": True},
}
LAST = ("remove_reference_photo", "delete_my_data")
# Result fields whose value later tools need.
ID_FIELDS = {
    "identity_id": "identity_id",
    "run_id": "run_id",
    "image_id": "image_id",
    "best_avatar_id": "avatar_id",
    "photo_id": "photo_id",
}


def wire_bytes(result: Any) -> int:
    """Bytes of the result as JSON on the wire (what the client must take in)."""
    return len(json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True)).encode())


def _order(names: list[str]) -> list[str]:
    known = [n for n in ARGUMENTS if n in names and n not in LAST]
    others = sorted(n for n in names if n not in ARGUMENTS)
    return [*known, *others, *(n for n in LAST if n in names)]


async def _measure_all(client: Client) -> tuple[dict[str, int], list[str], list[str]]:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    ids: Ids = {"identity_id": await prepare_user(client)}
    sizes: dict[str, int] = {}
    errors: list[str] = []
    skipped: list[str] = []
    for name in _order(list(tools)):
        build = ARGUMENTS.get(name)
        if build is None and tools[name].input_schema.get("required"):
            skipped.append(name)
            continue
        try:
            arguments = build(ids) if build else {}
        except KeyError as missing:
            skipped.append(f"{name} (no {missing} from an earlier result)")
            continue
        result = await client.call_tool(name, arguments)
        sizes[name] = wire_bytes(result)
        if result.is_error:
            errors.append(f"{name}: {result.content[0].text if result.content else 'error'}"[:160])  # type: ignore[union-attr]
        for field, key in ID_FIELDS.items():
            value = (result.structured_content or {}).get(field)
            if isinstance(value, str):
                ids[key] = value
    return sizes, errors, skipped


async def payloads(workdir: Path) -> Row:
    with fake_provider(delay_s=0.0) as provider:
        app = build_bench_app(workdir / "payload", provider.base_url)
        async with in_process_client(app) as client:
            sizes, errors, skipped = await _measure_all(client)
    largest_name, largest = max(sizes.items(), key=lambda item: item[1])
    passed = largest <= EACH_TARGET and not errors and not skipped
    listing = ", ".join(f"{name} {size / 1000:.1f}" for name, size in sizes.items())
    detail = f"largest {largest_name}; KB: {listing}"
    if errors:
        detail += "; ERRORS: " + " | ".join(errors)
    if skipped:
        detail += "; NOT MEASURED (add arguments in benchmarks/payload.py): " + ", ".join(skipped)
    return Row(
        item=6,
        name=f"largest tool result on the wire ({len(sizes)} tools called)",
        value=largest / 1000,
        unit="KB",
        target=f"<= {EACH_TARGET // 1000} KB each, none > 1 MiB",
        passed=passed and largest <= HARD_LIMIT,
        detail=detail,
        data={"bytes": sizes, "errors": errors, "not_measured": skipped, "over_1_mib": largest > HARD_LIMIT},
    )
