"""What the CLI prints: `--json` results, rich summary tables, and progress bars fed by the tools.

Results and tables go to stdout; progress goes to stderr, so `--json` output stays pipeable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tool_server.faces.records import verdict_text

if TYPE_CHECKING:
    from mcp.shared.dispatcher import ProgressFnT
    from rich.console import Console
    from rich.progress import Progress, TaskID

JsonOption = Annotated[bool, typer.Option("--json", help="Print the tool's structured result as JSON.")]


def stdout_console() -> Console:
    from rich.console import Console

    console = Console()
    # Piped to a file or a script, rich would wrap tables at 80 columns: give ids and paths room.
    return console if console.is_terminal else Console(width=200)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(cell_text(cell) for cell in row))
    stdout_console().print(table)


def cell_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def likeness_text(likeness: dict[str, Any] | None) -> str:
    """`0.41, passes at 0.50` / `0.62, FAILS: passes at 0.50` / `no face found`: distance vs threshold."""
    if not likeness:
        return "—"
    text = verdict_text(likeness.get("distance"), likeness.get("threshold"), likeness.get("face_found", True))
    return text.replace("fails:", "FAILS:")


def cost_text(cost: float | None) -> str:
    return "—" if cost is None else f"${cost:.4f}"


class ProgressBars:
    """A rich Progress on stderr; `bar(...)` gives a tool progress callback for one task."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def add(self, description: str, total: float | None = None) -> TaskID:
        return self.progress.add_task(description, total=total)

    def advance(self, task: TaskID, description: str | None = None) -> None:
        if description is None:
            self.progress.advance(task)
        else:
            self.progress.update(task, advance=1, description=description)

    def finish(self, task: TaskID, description: str | None = None) -> None:
        total = self.progress.tasks[self._index(task)].total or 1
        self.progress.update(task, completed=total, description=description)

    def callback(self, task: TaskID, label: str) -> ProgressFnT:
        """A `progress_callback` for call_tool: moves `task` as the tool reports steps."""

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            text = f"{label}: {message}" if message else label
            self.progress.update(task, completed=progress, total=total, description=text)

        return on_progress

    def _index(self, task: TaskID) -> int:
        return next(i for i, t in enumerate(self.progress.tasks) if t.id == task)


@contextmanager
def progress_bars() -> Iterator[ProgressBars]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=False,
    )
    with progress:
        yield ProgressBars(progress)
