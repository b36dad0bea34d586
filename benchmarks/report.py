"""Benchmark rows, the one table they print as, and the JSON file they are written to."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Row:
    """One figure: what was measured, its value, the target it is held to and whether it met it.

    `passed` is None for a figure that has no target (reported only).
    """

    item: int
    name: str
    value: float
    unit: str
    target: str
    passed: bool | None
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def figure(self) -> str:
        if self.unit == "x":
            return f"{self.value:.2f}x"
        if self.unit in ("ms", "s", "MiB", "KB"):
            return f"{self.value:,.1f} {self.unit}"
        return f"{self.value:g} {self.unit}".strip()


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def verdict(row: Row) -> str:
    return "-" if row.passed is None else ("pass" if row.passed else "FAIL")


def print_table(rows: list[Row], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="coach-image-tools benchmarks", show_lines=False)
    for column, justify in (("#", "right"), ("measure", "left"), ("figure", "right"), ("target", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("result", justify="center")
    for row in rows:
        style = {"pass": "green", "FAIL": "bold red"}.get(verdict(row), "")
        table.add_row(
            str(row.item),
            row.name,
            row.figure,
            row.target,
            f"[{style}]{verdict(row)}[/]" if style else verdict(row),
        )
    console.print(table)
    for row in rows:
        if row.detail:
            console.print(f"[{row.item}] {row.name}: {row.detail}", highlight=False, soft_wrap=True)
    info = machine()
    load = info["load_average"]
    console.print(
        f"Python {info['python']} on {info['cpus']} CPU(s), {info['cpu_model']}; {info['platform']}"
        + (f"; load average {load[0]:.1f} (1 min) {load[1]:.1f} (5 min) at the end" if load else ""),
        highlight=False,
    )


def markdown_table(rows: list[Row]) -> str:
    """The table for the README."""
    lines = ["| # | measure | figure | target | result |", "|---|---|---|---|---|"]
    lines += [f"| {r.item} | {r.name} | {r.figure} | {r.target} | {verdict(r)} |" for r in rows]
    return "\n".join(lines)


def write_json(rows: list[Row], path: Path, *, mode: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "machine": machine(),
        "argv": sys.argv,
        "all_passed": all(r.passed is not False for r in rows),
        "rows": [{**asdict(r), "figure": r.figure, "result": verdict(r)} for r in rows],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
