"""`coach-image-tools eval`: which strategy keeps the face, with how many references? N runs per cell.

The eval works in its own storage (under --out) as the user `eval`: it adds the photos, sets the
profile, saves the identities, then calls generate_identity_image for every strategy x provider
N times (cycling through the identities), all through the real tools. The avatar strategy first
makes and approves an avatar with the same provider (generate_avatar, approve_avatar).
With `--references 1,3,5` every cell runs with 1 reference photo, then 3, then 5 (photos are added
in file order between counts; likeness is scored against the references the user has then).
"""

from __future__ import annotations

import importlib.util
import json
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tool_server.cli import app, load_cli_settings
from tool_server.cli.eval_report import (
    SUMMARY_COLUMNS,
    CellSummary,
    RunOutcome,
    summarise,
    summary_rows,
    write_report,
)
from tool_server.cli.generate import generate_image
from tool_server.cli.output import JsonOption, ProgressBars, print_json, print_table, progress_bars
from tool_server.cli.tools_client import ToolFailed, ToolSession, fresh_storage, run_tools

if TYPE_CHECKING:
    from rich.progress import TaskID

EVAL_USER = "eval"
STRATEGIES = ("direct", "generic_swap", "avatar")
PROVIDERS = ("openai", "gemini", "offline")
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}


def usage_error(message: str) -> typer.Exit:
    typer.echo(f"coach-image-tools: {message}", err=True)
    return typer.Exit(2)


def split_choices(values: list[str], allowed: tuple[str, ...], option: str) -> list[str]:
    """`--x a,b --x c` -> [a, b, c], each checked against `allowed`, duplicates dropped."""
    chosen: list[str] = []
    for value in values:
        for name in filter(None, (part.strip() for part in value.split(","))):
            if name not in allowed:
                raise usage_error(f"{option}: {name!r} is not one of {', '.join(allowed)}")
            if name not in chosen:
                chosen.append(name)
    if not chosen:
        raise usage_error(f"{option}: give at least one of {', '.join(allowed)}")
    return chosen


def load_identities(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The profile and identities from a JSON or TOML file (see the README's eval section)."""
    if not path.is_file():
        raise usage_error(f"--identities: no file at {path}")
    try:
        text = path.read_text()
        document: Any = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise usage_error(
            f"--identities: {path} is not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}"
        ) from None
    if isinstance(document, list):
        document = {"identities": document}
    identities = document.get("identities") if isinstance(document, dict) else None
    if not identities or not all(
        isinstance(i, dict) and "name" in i and "visualization" in i for i in identities
    ):
        raise usage_error(
            "--identities: the file needs a list of identities, each with a name and a visualization"
        )
    return dict(document.get("profile") or {}), list(identities)


def find_photos(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise usage_error(f"--photos: {directory} is not a folder")
    photos = sorted(p for p in directory.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if not photos:
        raise usage_error(f"--photos: no photo (jpg, png, webp, heic) in {directory}")
    return photos


class Eval:
    def __init__(self, session: ToolSession, bars: ProgressBars, candidates: int, total_runs: int) -> None:
        self.session = session
        self.bars = bars
        self.candidates = candidates
        self.overall: TaskID = bars.add("eval", total=total_runs)
        self.current: TaskID = bars.add("run")
        self.setup_costs: dict[str, float] = {}

        self.unused: list[Path] = []
        self.added = 0

    async def add_photos(self, count: int) -> int:
        """Add the next photos until the user has `count` references (or none are left); returns how many."""
        while self.added < count and self.unused:
            photo = self.unused.pop(0)
            try:
                await self.session.call("add_reference_photo", {"path": str(photo.resolve())})
                self.added += 1
            except ToolFailed as exc:
                typer.echo(f"coach-image-tools: skipping {photo.name}: {exc}", err=True)
        return self.added

    async def prepare(
        self, photos: list[Path], profile: dict[str, Any], identities: list[dict[str, Any]], first: int
    ) -> list[str]:
        self.unused = list(photos)
        if not await self.add_photos(first):
            raise ToolFailed("none of the photos could be used as a reference (see above)")
        if profile:
            await self.session.call("set_body_profile", profile)
        saved = [await self.session.call("save_identity", identity) for identity in identities]
        return [s["identity_id"] for s in saved]

    async def prepare_avatar(self, provider: str) -> None:
        """Make and approve an avatar with this provider, so the avatar strategy can run."""
        made = await self.session.call_run("generate_avatar", {"candidates": 1, "provider": provider})
        if not made.get("best_avatar_id"):
            raise ToolFailed(made.get("message") or "generate_avatar made no avatar")
        await self.session.call("approve_avatar", {"avatar_id": made["best_avatar_id"]})
        self.setup_costs[provider] = float(made.get("cost_usd") or 0.0)

    async def run_cell(
        self, strategy: str, provider: str, identity_ids: list[str], runs: int
    ) -> list[RunOutcome]:
        references = self.added
        outcomes = []
        for number in range(runs):
            identity_id = identity_ids[number % len(identity_ids)]
            outcome = RunOutcome(
                strategy=strategy,
                provider=provider,
                run=number + 1,
                identity_id=identity_id,
                references=references,
            )
            label = f"{strategy} / {provider} / {references} ref #{number + 1}"
            self.bars.progress.reset(self.current, description=label, total=None)
            arguments = {
                "identity_id": identity_id,
                "strategy": strategy,
                "provider": provider,
                "candidates": self.candidates,
            }
            started = time.monotonic()
            try:
                result = await generate_image(
                    self.session, arguments, self.bars.callback(self.current, label)
                )
            except ToolFailed as exc:
                outcome.error = str(exc)
            else:
                likeness = result.get("likeness") or {}
                outcome.run_id, outcome.image_id = result["run_id"], result["image_id"]
                outcome.score, outcome.distance = likeness.get("score"), likeness.get("distance")
                outcome.passed = not result["needs_review"]
                outcome.cost_usd = float(result.get("cost_usd") or 0.0)
                outcome.model = result.get("model")
            outcome.seconds = round(time.monotonic() - started, 3)
            outcomes.append(outcome)
            self.bars.advance(self.overall)
        return outcomes


async def run_eval(
    session: ToolSession,
    photos: list[Path],
    profile: dict[str, Any],
    identities: list[dict[str, Any]],
    cells: list[tuple[str, str]],
    runs: int,
    candidates: int,
    counts: list[int],
) -> tuple[list[CellSummary], list[RunOutcome], dict[str, float]]:
    """Every cell with each count of references, fewest first (photos are added between counts)."""
    summaries: list[CellSummary] = []
    outcomes: list[RunOutcome] = []
    with progress_bars() as bars:
        evaluation = Eval(session, bars, candidates, len(cells) * runs * len(counts))
        identity_ids = await evaluation.prepare(photos, profile, identities, counts[0])
        for count in counts:
            have = await evaluation.add_photos(count)
            for strategy, provider in cells:
                note = f"not run: only {have} usable photo(s)" if have < count else ""
                if not note and strategy == "avatar":
                    try:
                        await evaluation.prepare_avatar(provider)
                    except ToolFailed as exc:
                        note = f"not run: {exc}"
                if note:
                    summaries.append(summarise(strategy, provider, [], note=note, references=count))
                    bars.progress.update(evaluation.overall, advance=runs)
                    continue
                cell = await evaluation.run_cell(strategy, provider, identity_ids, runs)
                outcomes += cell
                errors = "; ".join(sorted({o.error for o in cell if o.error}))
                summaries.append(summarise(strategy, provider, cell, note=errors, references=count))
        bars.progress.remove_task(evaluation.current)
    return summaries, outcomes, evaluation.setup_costs


def parse_counts(value: str | None, photos: int) -> list[int]:
    """`1,3,5` -> [1, 3, 5] (sorted, unique); default: all the photos."""
    if value is None:
        return [photos]
    try:
        counts = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError:
        raise usage_error(f"--references: {value!r} is not a list of numbers like 1,3,5") from None
    if not counts or counts[0] < 1:
        raise usage_error("--references: give counts of 1 or more, e.g. 1,3,5")
    return counts


@app.command("eval")
def eval_command(
    photos: Annotated[Path, typer.Option(help="A folder of the person's reference photos.")],
    identities: Annotated[
        Path, typer.Option(help="JSON or TOML: identities (name, visualization) and profile.")
    ],
    strategies: Annotated[
        list[str], typer.Option(help="Strategies to compare, comma-separated: direct, generic_swap, avatar.")
    ] = ["direct,generic_swap,avatar"],  # noqa: B006 (typer reads the default; it is never mutated)
    providers: Annotated[
        list[str], typer.Option(help="Providers to compare, comma-separated: openai, gemini, offline.")
    ] = ["offline"],  # noqa: B006
    runs: Annotated[int, typer.Option(min=1, help="Generations per strategy x provider.")] = 3,
    candidates: Annotated[int, typer.Option(min=1, max=4, help="Candidates per generation.")] = 1,
    references: Annotated[
        str | None, typer.Option(help="Reference photo counts to compare, e.g. 1,3,5 (default: all).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the results and the eval's storage.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Compare strategies x providers: likeness mean and spread, pass rate, cost per passing image, time."""
    chosen_strategies = split_choices(strategies, STRATEGIES, "--strategies")
    chosen_providers = split_choices(providers, PROVIDERS, "--providers")
    profile, identity_list = load_identities(identities)
    photo_files = find_photos(photos)
    counts = parse_counts(references, len(photo_files))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out_dir = (out or Path(f"coach-image-eval-{stamp}")).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    storage = fresh_storage(out_dir, "--out")
    # No fallback: a provider without a key must show up as errors, not as another provider's numbers.
    settings = load_cli_settings(storage_url=str(storage), user=EVAL_USER, provider_fallback=[])
    cells = [(s, p) for p in chosen_providers for s in chosen_strategies]
    started = time.monotonic()
    summaries, outcomes, setup_costs = run_tools(
        settings,
        lambda session: run_eval(
            session, photo_files, profile, identity_list, cells, runs, candidates, counts
        ),
    )
    meta = {
        "started_at": stamp,
        "total_s": round(time.monotonic() - started, 2),
        "runs_per_cell": runs,
        "candidates": candidates,
        "reference_counts": counts,
        "likeness_threshold": settings.likeness_threshold,
        "photos": [p.name for p in photo_files],
        "identities": [i["name"] for i in identity_list],
        "avatar_setup_cost_usd": setup_costs,
        "storage": str(storage),
    }
    paths = write_report(out_dir, summaries, outcomes, meta)
    if json_out:
        print_json(
            {**meta, "files": {k: str(v) for k, v in paths.items()}, "summary": [vars(s) for s in summaries]}
        )
    else:
        print_table(
            f"Eval: {runs} run(s) per strategy x provider x reference count, likeness threshold "
            f"{settings.likeness_threshold} "
            f"({meta['total_s']:.0f} s)",
            SUMMARY_COLUMNS,
            summary_rows(summaries),
        )
        typer.echo(f"Results: {paths['summary_csv']}, {paths['runs_csv']}, {paths['json']}")
        if importlib.util.find_spec("tool_server.gallery") is not None:
            env = f"COACH_IMAGE_STORAGE_URL={storage} COACH_IMAGE_USER={EVAL_USER}"
            typer.echo(f"Gallery: {env} coach-image-tools runs list")
    if not outcomes or all(o.error for o in outcomes):
        typer.echo("coach-image-tools: no eval run produced an image (see the note column)", err=True)
        raise typer.Exit(1)
