"""`coach-image-tools identities save|list`: the coach's identities from the command line."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tool_server.cli import app, load_cli_settings
from tool_server.cli.output import JsonOption, print_json, print_table
from tool_server.cli.tools_client import run_tools
from tool_server.cli.wording import for_person

identities = typer.Typer(help="Save and list the user's identities.", no_args_is_help=True)
app.add_typer(identities, name="identities")


@identities.command("save")
def save(
    name: Annotated[str, typer.Argument(help="Short name, e.g. 'The Visionary Founder'.")],
    visualization: Annotated[
        str, typer.Option("--visualization", "-v", help="The user living it: scene, clothing, action, mood.")
    ],
    i_am: Annotated[str | None, typer.Option("--i-am", help="The user's 'I am ...' statement.")] = None,
    identity_id: Annotated[
        str | None, typer.Option("--id", help="Update this identity instead of creating one.")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Create or update an identity (save_identity)."""
    arguments = {
        "name": name,
        "visualization": visualization,
        "i_am_statement": i_am,
        "identity_id": identity_id,
    }
    result = run_tools(load_cli_settings(), lambda s: s.call("save_identity", arguments))
    if json_out:
        print_json(result)
    else:
        typer.echo(for_person(result["message"]))


@identities.command("list")
def list_(json_out: JsonOption = False) -> None:
    """List the identities with their current and accepted images (list_identities)."""

    async def every_page(session: Any) -> dict[str, Any]:
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = await session.call("list_identities", {"cursor": cursor})
            found += page["identities"]
            cursor = page.get("next_cursor")
            if not cursor:
                return {"identities": found}

    result = run_tools(load_cli_settings(), every_page)
    if json_out:
        print_json(result)
        return
    rows = [
        (i["identity_id"], i["name"], i["image_count"], i["current_image_id"], i["accepted_image_id"])
        for i in result["identities"]
    ]
    print_table("Identities", ("identity_id", "name", "images", "current", "accepted"), rows)
