"""Runs the benchmarks of issues #9 (items 1-7) and #17 (8-10), prints one table and writes JSON."""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio

from benchmarks.report import Row, print_table, write_json

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"
ITEMS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)


@dataclass(frozen=True)
class Sizes:
    """How much each benchmark does: `FULL` for figures, `TINY` to check the harness in seconds."""

    cold_start_reps: int
    overhead_reps: int
    concurrent_calls: int
    provider_delay_s: float
    dog_requests: int
    dog_hits: int
    validation_runs: int
    first_call_reps: int
    concurrent_reps: int


FULL = Sizes(7, 15, 32, 2.0, 20, 100, 7, 3, 3)
TINY = Sizes(1, 1, 2, 0.2, 3, 3, 1, 1, 1)


async def run_benchmarks(sizes: Sizes, items: Sequence[int] = ITEMS) -> list[Row]:
    """The rows of the chosen items (3 and 7 come from one run), in item order."""
    from benchmarks.cold_start import cold_start
    from benchmarks.concurrent_defaults import concurrent_vs_one
    from benchmarks.dog_avatars import dog_avatars
    from benchmarks.first_call import first_call_extra
    from benchmarks.generation import concurrency, per_call_overhead
    from benchmarks.listing import listing_sizes
    from benchmarks.payload import payloads
    from benchmarks.validation import validation

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        workdir = Path(tmp)
        if 1 in items:
            rows.append(await cold_start(sizes.cold_start_reps))
        if 2 in items:
            rows.append(await per_call_overhead(workdir, sizes.overhead_reps))
        if 3 in items or 7 in items:
            run = await concurrency(workdir, sizes.concurrent_calls, sizes.provider_delay_s)
            rows += [row for row in run if row.item in items]
        if 4 in items:
            rows += await dog_avatars(workdir, sizes.dog_requests, sizes.dog_hits)
        if 5 in items:
            rows.append(validation(sizes.validation_runs))
        if 6 in items:
            rows.append(await payloads(workdir))
        if 8 in items:
            rows += await listing_sizes()
        if 9 in items:
            rows.append(await first_call_extra(sizes.first_call_reps))
        if 10 in items:
            rows.append(await concurrent_vs_one(workdir, sizes.provider_delay_s, sizes.concurrent_reps))
    return sorted(rows, key=lambda row: row.item)


def parse_items(text: str) -> list[int]:
    """`"1,4,6"` as [1, 4, 6]; ValueError for anything but the items of ITEMS."""
    try:
        items = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(f"{text!r} is not a list of item numbers such as 1,4,6") from None
    unknown = [item for item in items if item not in ITEMS]
    if unknown or not items:
        raise ValueError(
            f"no benchmark item {unknown[0] if unknown else text!r}: choose from {ITEMS[0]}-{ITEMS[-1]}"
        )
    return items


def _items_argument(text: str) -> list[int]:
    try:
        return parse_items(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(*, tiny: bool = False, json_path: Path = DEFAULT_JSON, items: Sequence[int] = ITEMS) -> list[Row]:
    """Run, print the table, write `json_path`; returns the rows."""
    logging.getLogger("tool_server").setLevel(logging.ERROR)
    rows = anyio.run(run_benchmarks, TINY if tiny else FULL, items)
    print_table(rows)
    write_json(rows, json_path, mode="tiny" if tiny else "full")
    print(f"figures written to {json_path}")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--tiny", action="store_true", help="a few repetitions: checks the harness, not speed"
    )
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"where to write (default {DEFAULT_JSON})"
    )
    parser.add_argument("--only", type=_items_argument, default=list(ITEMS), help="items to run, e.g. 1,4,6")
    args = parser.parse_args(argv)
    rows = run(tiny=args.tiny, json_path=args.json, items=args.only)
    return 0 if all(row.passed is not False for row in rows) else 1
