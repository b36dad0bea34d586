"""`coach-image-tools dog pregenerate`: make (or confirm cached) every job's dog avatar ahead of use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from tool_server.cli import app, load_cli_settings

if TYPE_CHECKING:
    from tool_server.app import AppContext
    from tool_server.dogs.service import DogAvatarResult

dog_app = typer.Typer(no_args_is_help=True, help="Dog avatars: the canonical dog in each job's accessory.")
app.add_typer(dog_app, name="dog")


@dataclass
class Outcome:
    job: str
    result: DogAvatarResult | None = None
    error: str | None = None


@dog_app.command()
def pregenerate(
    jobs: Annotated[
        list[str] | None,
        typer.Option(
            "--jobs",
            help="Jobs to make: repeat the option or separate by commas. Default: all 20 and 'default'.",
        ),
    ] = None,
    size: Annotated[str, typer.Option(help="WIDTHxHEIGHT of every avatar.")] = "1024x1024",
    background: Annotated[str, typer.Option(help="transparent or white.")] = "transparent",
    concurrency: Annotated[int, typer.Option(min=1, max=16, help="Avatars made at once.")] = 4,
    regenerate: Annotated[bool, typer.Option(help="Make new images even where one is cached.")] = False,
    provider: Annotated[
        str | None, typer.Option(help="auto, openai, gemini or offline (default: COACH_IMAGE_PROVIDER).")
    ] = None,
) -> None:
    """Make every job's dog avatar now (cached ones are skipped), then print a summary table.

    Exits 1 if any avatar could not be made, 2 on a bad option.
    """
    import anyio

    from tool_server.app import build_app
    from tool_server.dogs.jobs import job_names, resolve_job
    from tool_server.errors import InvalidInput

    settings = load_cli_settings()
    try:
        names = [resolve_job(name).name for name in _split(jobs)] if jobs else job_names()
    except InvalidInput as exc:
        typer.echo(f"coach-image-tools: {exc}", err=True)
        raise typer.Exit(2) from None
    names = list(dict.fromkeys(names))
    context = build_app(settings, "stdio")
    chosen = None if provider in (None, "auto") else provider
    outcomes = anyio.run(lambda: _make_all(context, names, size, background, concurrency, regenerate, chosen))
    _print_summary(outcomes)
    if any(outcome.error for outcome in outcomes):
        raise typer.Exit(1)


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


async def _make_all(
    context: AppContext,
    names: list[str],
    size: str,
    background: str,
    concurrency: int,
    regenerate: bool,
    provider: str | None,
) -> list[Outcome]:
    import anyio
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from storage import StorageError
    from tool_server.errors import ToolServerError

    outcomes = {name: Outcome(name) for name in names}
    limiter = anyio.CapacityLimiter(concurrency)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task("dog avatars", total=len(names))

        async def make(name: str) -> None:
            async with limiter:
                try:
                    outcomes[name].result = await context.dogs.get_avatar(
                        name, size, background, regenerate, provider
                    )
                except (ToolServerError, StorageError) as exc:
                    outcomes[name].error = str(exc)
            progress.update(task, advance=1, description=f"dog avatars (last: {name})")

        async with anyio.create_task_group() as group:
            for name in names:
                group.start_soon(make, name)
    return [outcomes[name] for name in names]


def _print_summary(outcomes: list[Outcome]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Dog avatars")
    for column in ("job", "cached", "needs_review", "cost", "notes"):
        table.add_column(column, justify="right" if column == "cost" else "left")
    for outcome in outcomes:
        result = outcome.result
        if result is None:
            table.add_row(outcome.job, "-", "-", "-", f"[red]failed: {outcome.error}[/red]")
            continue
        notes = ", ".join(result.failed_checks) if result.needs_review else ""
        if result.provider == "offline":
            notes = ("offline placeholder " + notes).strip()
        table.add_row(
            outcome.job,
            "yes" if result.cached else "no",
            "[yellow]yes[/yellow]" if result.needs_review else "no",
            f"${result.cost_usd:.3f}",
            notes,
        )
    made = [o.result for o in outcomes if o.result is not None]
    total = sum(r.cost_usd for r in made)
    failed = sum(1 for o in outcomes if o.error)
    review = sum(1 for r in made if r.needs_review)
    console = Console(width=140)
    console.print(table)
    console.print(
        f"{len(made)} ready ({sum(1 for r in made if r.cached)} cached), {review} need review, "
        f"{failed} failed; spent ${total:.3f}."
    )
