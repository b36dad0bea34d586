"""`coach-image-tools swap`: put the user's face into an image (face_swap)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any

import typer

from tool_server.cli import app, load_cli_settings
from tool_server.cli.output import (
    JsonOption,
    cost_text,
    likeness_text,
    print_table,
)
from tool_server.cli.tools_client import run_image_tool
from tool_server.cli.wording import for_person
from tool_server.settings import ProviderChoice


def print_swap(result: dict[str, Any]) -> None:
    rows = [
        (
            result.get("image_id"),
            likeness_text(result.get("likeness")),
            result.get("provider"),
            result.get("model"),
            cost_text(result.get("cost_usd")),
        )
    ]
    print_table(
        f"Face swap {result.get('run_id')}", ("image_id", "likeness", "provider", "model", "cost"), rows
    )
    typer.echo(for_person(result.get("message", "")))
    if result.get("image_url"):
        typer.echo(f"Image: {result['image_url']}")


@app.command()
def swap(
    target: Annotated[Path | None, typer.Argument(help="The image file whose face is replaced.")] = None,
    image_id: Annotated[
        str | None, typer.Option("--image-id", help="A stored image instead of a file.")
    ] = None,
    photo_ids: Annotated[
        list[str] | None, typer.Option("--photo-id", help="Reference photos to take the face from.")
    ] = None,
    provider: Annotated[ProviderChoice | None, typer.Option(help="Image provider override.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Swap the user's face into an image (face_swap), scored for likeness."""
    if (target is None) == (image_id is None):
        typer.echo("coach-image-tools: give exactly one of TARGET (a file) or --image-id", err=True)
        raise typer.Exit(2)
    if target is not None and not target.is_file():
        typer.echo(f"coach-image-tools: no file at {target}", err=True)
        raise typer.Exit(2)
    arguments = {
        "target_image_id": image_id,
        "target_image_base64": base64.b64encode(target.read_bytes()).decode() if target else None,
        "photo_ids": photo_ids or None,
        "provider": provider,
    }

    run_image_tool(
        load_cli_settings(),
        "face_swap",
        arguments,
        bar="swapping the face",
        working="swapping",
        done="swapped",
        json_out=json_out,
        show=print_swap,
    )
