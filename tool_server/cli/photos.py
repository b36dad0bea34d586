"""`coach-image-tools photos add|list|remove`: the reference-photo tools from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tool_server.cli import app, load_cli_settings
from tool_server.cli.output import JsonOption, print_json, print_table, progress_bars
from tool_server.cli.tools_client import ToolFailed, ToolSession, run_tools
from tool_server.cli.wording import for_person

photos = typer.Typer(help="Add, list and remove the user's reference photos.", no_args_is_help=True)
app.add_typer(photos, name="photos")


@photos.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="Photo files (JPEG, PNG, WebP or HEIC).")],
    json_out: JsonOption = False,
) -> None:
    """Add reference photos (add_reference_photo); each is checked for a usable face."""
    settings = load_cli_settings()

    async def work(session: ToolSession) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        failures: list[str] = []
        with progress_bars() as bars:
            task = bars.add("adding photos", total=len(paths))
            for path in paths:
                try:
                    added = await session.call("add_reference_photo", {"path": str(path.resolve())})
                except ToolFailed as exc:
                    failures.append(f"{path}: {exc}")
                    results.append({"path": str(path), "error": str(exc)})
                else:
                    results.append({"path": str(path), **added})
                bars.advance(task, f"added {path.name}")
        if failures and len(failures) == len(paths):
            raise ToolFailed("; ".join(failures))
        return results

    results = run_tools(settings, work)
    if json_out:
        print_json({"photos": results})
    else:
        rows = [
            (
                r["path"],
                r.get("photo_id"),
                r.get("quality_verdict") or ("error" if "error" in r else None),
                for_person(r.get("error") or "; ".join(r.get("quality_reasons", []))),
            )
            for r in results
        ]
        print_table("Reference photos added", ("file", "photo_id", "verdict", "notes"), rows)
    if any("error" in r for r in results):
        for r in results:
            if "error" in r:
                typer.echo(f"coach-image-tools: {r['path']}: {for_person(r['error'])}", err=True)
        raise typer.Exit(1)


@photos.command("list")
def list_(json_out: JsonOption = False) -> None:
    """List the reference photos (list_reference_photos)."""
    result = run_tools(load_cli_settings(), lambda s: s.call("list_reference_photos"))
    if json_out:
        print_json(result)
        return
    rows = [
        (
            p["photo_id"],
            p["primary"],
            f"{p['width']}x{p['height']}",
            p.get("quality_verdict"),
            p.get("filename"),
            p["url"],
        )
        for p in result["photos"]
    ]
    print_table(
        f"Reference photos ({result['photo_count']} of {result['max_photos']})",
        ("photo_id", "primary", "size", "verdict", "file", "url"),
        rows,
    )


@photos.command("remove")
def remove(
    photo_id: Annotated[str, typer.Argument(help="A photo_id from `photos list`.")],
    json_out: JsonOption = False,
) -> None:
    """Delete a reference photo (remove_reference_photo)."""
    result = run_tools(
        load_cli_settings(), lambda s: s.call("remove_reference_photo", {"photo_id": photo_id})
    )
    if json_out:
        print_json(result)
    else:
        typer.echo(f"Removed {result['removed_photo_id']}; {result['photo_count']} photo(s) left.")
