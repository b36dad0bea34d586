"""`coach-image-tools bench`: run the benchmarks (`python -m benchmarks`) from a source checkout."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Annotated

import typer

from tool_server.cli import app

CHECKOUT = Path(__file__).resolve().parents[2]


@app.command()
def bench(
    tiny: Annotated[bool, typer.Option(help="A few repetitions: checks the harness, not speed.")] = False,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Where to write the figures (default benchmarks/results/latest.json)."),
    ] = None,
    only: Annotated[str | None, typer.Option(help="Items to run, e.g. 1,4,6 (default all seven).")] = None,
) -> None:
    """Measure speed, scale, payload and memory against their targets; print one table, write JSON."""
    if not _benchmarks_available():
        typer.echo(
            "coach-image-tools: the benchmarks are not installed with the package. Run this command "
            "from a source checkout (git clone, then `pip install -e '.[dev]'`), where benchmarks/ "
            "and tests/fakes/ sit next to tool_server/.",
            err=True,
        )
        raise typer.Exit(2)
    from benchmarks.runner import DEFAULT_JSON, ITEMS, parse_items, run

    try:
        items = parse_items(only) if only else list(ITEMS)
    except ValueError as exc:
        typer.echo(f"coach-image-tools: --only: {exc}", err=True)
        raise typer.Exit(2) from None
    rows = run(tiny=tiny, json_path=json_path or DEFAULT_JSON, items=items)
    if any(row.passed is False for row in rows):
        raise typer.Exit(1)


def _benchmarks_available() -> bool:
    """True when `benchmarks` and `tests.fakes` import from the checkout this package runs from."""
    if not (CHECKOUT / "benchmarks" / "runner.py").is_file() or not (CHECKOUT / "tests" / "fakes").is_dir():
        return False
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    return importlib.util.find_spec("benchmarks.runner") is not None
