"""`coach-image-tools profile set|show`: the body profile from the command line."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tool_server.cli import app, load_cli_settings
from tool_server.cli.output import JsonOption, print_json, print_table
from tool_server.cli.tools_client import run_tools
from tool_server.cli.wording import for_person
from tool_server.userdata.models import Build, Gender, Height, SkinTone

profile = typer.Typer(help="Set or show the user's body profile.", no_args_is_help=True)
app.add_typer(profile, name="profile")

FIELDS = ("gender", "height", "build", "skin_tone")


def print_profile(view: dict[str, Any]) -> None:
    rows = [(name, view.get(name)) for name in FIELDS]
    print_table("Body profile", ("field", "value"), rows)
    typer.echo(
        for_person(view.get("message") or "")
        or ("complete" if view.get("complete") else "missing: " + ", ".join(view["missing"]))
    )


@profile.command("set")
def set_(
    gender: Annotated[Gender | None, typer.Option(help="The user's gender.")] = None,
    height: Annotated[Height | None, typer.Option(help="The user's height.")] = None,
    build: Annotated[Build | None, typer.Option(help="The user's build.")] = None,
    skin_tone: Annotated[SkinTone | None, typer.Option(help="The user's skin tone.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Merge answers into the body profile (set_body_profile); fields left out keep their value."""
    answers = {"gender": gender, "height": height, "build": build, "skin_tone": skin_tone}
    if all(value is None for value in answers.values()):
        typer.echo(
            "coach-image-tools: give at least one of --gender, --height, --build, --skin-tone", err=True
        )
        raise typer.Exit(2)
    result = run_tools(load_cli_settings(), lambda s: s.call("set_body_profile", answers))
    if json_out:
        print_json(result)
    else:
        print_profile(result)


@profile.command("show")
def show(json_out: JsonOption = False) -> None:
    """Show the body profile (the coach://me/body_profile resource)."""
    result = run_tools(load_cli_settings(), lambda s: s.read_json("coach://me/body_profile"))
    if json_out:
        print_json(result)
    else:
        print_profile(result)
