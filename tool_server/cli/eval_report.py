"""The eval's numbers: one row per strategy x provider x reference count, as table, CSV and JSON."""

from __future__ import annotations

import csv
import json
import statistics
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any


@dataclass
class RunOutcome:
    """One generate_identity_image call of the eval."""

    strategy: str
    provider: str
    run: int
    identity_id: str
    references: int = 0
    run_id: str | None = None
    image_id: str | None = None
    score: float | None = None
    distance: float | None = None
    passed: bool = False
    cost_usd: float = 0.0
    seconds: float = 0.0
    model: str | None = None
    error: str | None = None


@dataclass
class CellSummary:
    """All runs of one strategy with one provider."""

    strategy: str
    provider: str
    references: int
    runs: int
    errors: int
    median_distance: float | None
    mean_score: float | None
    sd_score: float | None
    min_score: float | None
    max_score: float | None
    pass_rate: float
    cost_usd: float
    cost_per_pass_usd: float | None
    mean_seconds: float | None
    note: str = ""


def summarise(
    strategy: str, provider: str, outcomes: list[RunOutcome], note: str = "", references: int = 0
) -> CellSummary:
    scores = [o.score for o in outcomes if o.score is not None]
    distances = [o.distance for o in outcomes if o.distance is not None]
    passes = sum(o.passed for o in outcomes)
    cost = round(sum(o.cost_usd for o in outcomes), 6)
    finished = [o.seconds for o in outcomes if o.error is None]
    return CellSummary(
        strategy=strategy,
        provider=provider,
        references=references,
        runs=len(outcomes),
        errors=sum(o.error is not None for o in outcomes),
        median_distance=round(statistics.median(distances), 4) if distances else None,
        mean_score=round(statistics.fmean(scores), 4) if scores else None,
        sd_score=round(statistics.pstdev(scores), 4) if scores else None,
        min_score=min(scores) if scores else None,
        max_score=max(scores) if scores else None,
        pass_rate=round(passes / len(outcomes), 4) if outcomes else 0.0,
        cost_usd=cost,
        cost_per_pass_usd=round(cost / passes, 6) if passes else None,
        mean_seconds=round(statistics.fmean(finished), 3) if finished else None,
        note=note,
    )


def write_csv(path: Path, rows: list[Any]) -> None:
    """Rows of one dataclass type as CSV (header from the field names)."""
    if not rows:
        path.write_text("")
        return
    names = [f.name for f in fields(rows[0])]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))


def write_report(
    out_dir: Path, summaries: list[CellSummary], outcomes: list[RunOutcome], meta: dict[str, Any]
) -> dict[str, Path]:
    """eval.csv (one row per cell), eval_runs.csv (one row per run) and eval.json (all of it)."""
    paths = {
        "summary_csv": out_dir / "eval.csv",
        "runs_csv": out_dir / "eval_runs.csv",
        "json": out_dir / "eval.json",
    }
    write_csv(paths["summary_csv"], summaries)
    write_csv(paths["runs_csv"], outcomes)
    document = {**meta, "summary": [asdict(s) for s in summaries], "runs": [asdict(o) for o in outcomes]}
    paths["json"].write_text(json.dumps(document, indent=2))
    return paths


def summary_rows(summaries: list[CellSummary]) -> list[tuple[Any, ...]]:
    def score(s: CellSummary) -> str:
        if s.mean_score is None:
            return "—"
        return f"{s.mean_score:.2f} ± {s.sd_score:.2f} ({s.min_score:.2f}–{s.max_score:.2f})"

    return [
        (
            s.strategy,
            s.provider,
            s.references,
            s.runs,
            score(s),
            "—" if s.median_distance is None else f"{s.median_distance:.2f}",
            f"{s.pass_rate:.0%}",
            "—" if s.cost_per_pass_usd is None else f"${s.cost_per_pass_usd:.4f}",
            "—" if s.mean_seconds is None else f"{s.mean_seconds:.1f}",
            s.errors,
            s.note,
        )
        for s in summaries
    ]


SUMMARY_COLUMNS = (
    "strategy",
    "provider",
    "refs",
    "runs",
    "likeness mean ± sd (min–max)",
    "median distance",
    "pass",
    "$ per passing image",
    "s / run",
    "errors",
    "note",
)
