"""`coach-image-tools avatar` (generate_avatar) and `avatar approve AVATAR_ID` (approve_avatar)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from tool_server.cli import app, load_cli_settings
from tool_server.cli.output import (
    JsonOption,
    cost_text,
    likeness_text,
    print_json,
    print_table,
)
from tool_server.cli.tools_client import run_image_tool, run_tools
from tool_server.cli.wording import for_person
from tool_server.settings import ProviderChoice

avatar = typer.Typer(help="Make the user's avatar (headshot + full body) and approve one.")
app.add_typer(avatar, name="avatar")


def print_avatars(result: dict[str, Any]) -> None:
    rows = [
        (
            a["avatar_id"],
            a.get("number"),
            likeness_text(a.get("likeness")),
            a["avatar_id"] == result.get("best_avatar_id"),
            a.get("headshot_url"),
            a.get("fullbody_url"),
        )
        for a in result.get("avatars", [])
    ]
    title = f"Avatars: {result.get('provider')} {result.get('model')}, {cost_text(result.get('cost_usd'))}"
    print_table(title, ("avatar_id", "#", "likeness", "best", "headshot", "full body"), rows)
    typer.echo(for_person(result.get("message", "")))


@avatar.callback(invoke_without_command=True)
def generate_avatar(
    ctx: typer.Context,
    candidates: Annotated[int | None, typer.Option(min=1, max=3, help="Avatar candidates to make.")] = None,
    image_size: Annotated[
        Literal["1K", "2K"], typer.Option(help="1K (1024 px headshot) or 2K (2048 px, slower, dearer).")
    ] = "1K",
    provider: Annotated[ProviderChoice | None, typer.Option(help="Image provider override.")] = None,
    model: Annotated[str | None, typer.Option(help="Image model override.")] = None,
    headshot: Annotated[
        Path | None, typer.Option(help="The user's own headshot file: only the full body is made.")
    ] = None,
    headshot_id: Annotated[str | None, typer.Option(help="Or an image_id to use as the headshot.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Make avatar candidates from the reference photos (generate_avatar); approve one after."""
    if ctx.invoked_subcommand is not None:
        return
    arguments: dict[str, Any] = {
        "candidates": candidates,
        "image_size": image_size,
        "provider": provider,
        "model": model,
        "headshot_image_id": headshot_id,
    }
    if headshot is not None:
        if not headshot.is_file():
            typer.echo(f"coach-image-tools: no file at {headshot}", err=True)
            raise typer.Exit(2)
        arguments["headshot_image_base64"] = base64.b64encode(headshot.read_bytes()).decode()

    run_image_tool(
        load_cli_settings(),
        "generate_avatar",
        arguments,
        bar="making avatars",
        working="making avatars",
        done="avatars made",
        json_out=json_out,
        show=print_avatars,
    )


@avatar.command("approve")
def approve(
    avatar_id: Annotated[str, typer.Argument(help="An avatar_id from `avatar`.")],
    json_out: JsonOption = False,
) -> None:
    """Approve an avatar (approve_avatar): the avatar strategy draws from it."""
    result = run_tools(load_cli_settings(), lambda s: s.call("approve_avatar", {"avatar_id": avatar_id}))
    if json_out:
        print_json(result)
    else:
        typer.echo(for_person(result.get("message") or f"Approved {avatar_id}."))
