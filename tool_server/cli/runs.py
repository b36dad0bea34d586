"""`coach-image-tools runs list|show|open`: the acting user's generation runs, read from the store.

Exit codes: 0 ok, 1 not found (or the store failed), 2 bad usage (a malformed id, a bad option).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from tool_server.cli import app, load_cli_settings

if TYPE_CHECKING:
    from tool_server.app import AppContext
    from tool_server.gallery.views import RunSummary, RunView

T = TypeVar("T")
runs_app = typer.Typer(help="The generation runs of COACH_IMAGE_USER: list, show, open as a gallery.")
app.add_typer(runs_app, name="runs")

OutOption = Annotated[
    Path | None, typer.Option("--out", help="Gallery folder (default COACH_IMAGE_GALLERY_DIR).")
]
OpenOption = Annotated[bool, typer.Option("--open", help="Also open the page in the web browser.")]


def run_in_store(work: Callable[[AppContext, str], Awaitable[T]]) -> T:
    """Run `work(app, user)` on the store (no server needed); project errors exit 1 or 2."""
    import anyio

    from tool_server.app import build_app
    from tool_server.errors import InvalidInput, KeyNotFound, NotFound, StorageError, ToolServerError

    settings = load_cli_settings()
    context = build_app(settings, "stdio")
    try:
        return anyio.run(work, context, settings.user)
    except InvalidInput as exc:
        typer.echo(f"coach-image-tools: {exc}", err=True)
        raise typer.Exit(2) from None
    except (NotFound, KeyNotFound) as exc:
        typer.echo(f"coach-image-tools: {exc}", err=True)
        raise typer.Exit(1) from None
    except (ToolServerError, StorageError) as exc:
        typer.echo(f"coach-image-tools: {exc}", err=True)
        raise typer.Exit(1) from None


def write_and_show(page: Path, open_browser: bool) -> None:
    """Print the page's path (stdout, for scripts) and open it when asked."""
    typer.echo(str(page))
    if open_browser:
        import webbrowser

        webbrowser.open(page.as_uri())


@runs_app.command("list")
def list_runs(
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """The user's runs, newest first: kind, status, identity, cost and best likeness."""
    from tool_server.gallery.views import run_summaries

    summaries = run_in_store(lambda app, user: run_summaries(app, user, limit=limit))
    if as_json:
        for summary in summaries:
            typer.echo(json.dumps(_summary_json(summary)))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(summaries)} run(s)", title_justify="left")
    for column in ("run_id", "kind", "status", "identity", "created (UTC)"):
        table.add_column(column)
    table.add_column("cost", justify="right")
    table.add_column("best likeness", justify="right")
    for s in summaries:
        table.add_row(
            s.run_id,
            s.kind,
            s.status,
            s.identity or "—",
            s.created_at.strftime("%Y-%m-%d %H:%M"),
            f"${s.cost_usd:.3f}",
            "—" if s.best_likeness is None else f"{s.best_likeness:.2f}",
        )
    Console(width=160).print(table)


def _summary_json(summary: RunSummary) -> dict[str, object]:
    return {
        "run_id": summary.run_id,
        "kind": summary.kind,
        "status": summary.status,
        "identity": summary.identity,
        "created_at": summary.created_at.isoformat(),
        "cost_usd": summary.cost_usd,
        "best_likeness": summary.best_likeness,
    }


@runs_app.command("show")
def show_run(
    run_id: Annotated[str, typer.Argument(help="A run_id from `runs list` or a tool result.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run record as JSON.")] = False,
) -> None:
    """One run: what it asked, its steps with their likeness, and the provider calls."""
    from tool_server.gallery.views import Picture, run_view

    async def no_link(key: str, mime_type: str, alt: str) -> Picture:
        return Picture(src=key, href=key, alt=alt)

    view = run_in_store(lambda context, user: run_view(context, user, run_id, no_link))
    if as_json:
        typer.echo(view.record.model_dump_json(indent=2))
        return
    _print_run(view)


def _print_run(view: RunView) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160, highlight=False)
    s = view.summary
    console.print(f"[bold]{s.run_id}[/]  {s.kind}  [bold]{s.status}[/]")
    facts = [
        ("identity", s.identity),
        ("scene", view.scene),
        ("strategy", view.strategy),
        ("provider", ", ".join(view.providers) or None),
        ("model", ", ".join(view.models) or None),
        ("cost", f"${s.cost_usd:.3f}"),
        ("time", None if view.duration_s is None else f"{view.duration_s:.1f} s"),
        ("best likeness", None if s.best_likeness is None else f"{s.best_likeness:.2f}"),
        ("message", view.message),
    ]
    for name, value in facts:
        if value:
            console.print(f"  {name:>13}: {value}", markup=False)
    table = Table(title="steps", title_justify="left")
    for column in ("#", "name", "kind", "likeness", "passed", "note"):
        table.add_column(column)
    for step in view.steps:
        likeness = step.likeness
        table.add_row(
            str(step.index),
            step.name + (" (chosen)" if step.chosen else ""),
            step.kind,
            "—" if likeness is None or likeness.score is None else f"{likeness.score:.2f}",
            "—" if likeness is None or likeness.passed is None else ("yes" if likeness.passed else "no"),
            step.note or "",
        )
    console.print(table)
    console.print(f"  {len(view.calls)} provider call(s); `runs open {s.run_id}` shows the images.")


@runs_app.command("open")
def open_run(
    run_id: Annotated[str, typer.Argument(help="A run_id from `runs list` or a tool result.")],
    out: OutOption = None,
    open_browser: OpenOption = False,
) -> None:
    """Write the run's gallery page (every step's image and likeness) and print its path."""
    from tool_server.gallery import default_gallery_dir, write_run_gallery

    page = run_in_store(
        lambda context, user: write_run_gallery(context, user, run_id, out or default_gallery_dir(context))
    )
    write_and_show(page, open_browser)
