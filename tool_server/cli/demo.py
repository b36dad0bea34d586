"""`coach-image-tools demo`: the whole flow offline, no keys (about 18 s on an idle 2-core machine).

Photo, body profile, identity, the three strategies (direct, generic_swap, avatar), a face swap
and a dog avatar, every step through the real tools. A tool this server does not have yet is
reported as skipped and the demo goes on; a step that fails is reported and makes the exit code 1.
"""

from __future__ import annotations

import tempfile
import time
import webbrowser
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tool_server.cli import app, load_cli_settings
from tool_server.cli.generate import generate_image
from tool_server.cli.output import (
    JsonOption,
    ProgressBars,
    cost_text,
    likeness_text,
    print_json,
    print_table,
    progress_bars,
)
from tool_server.cli.tools_client import ToolFailed, ToolMissing, ToolSession, fresh_storage, run_tools
from tool_server.cli.wording import for_person
from tool_server.userdata.models import Build, Gender, Height, SkinTone

if TYPE_CHECKING:
    from rich.progress import TaskID

    from tool_server.settings import Settings

DEMO_USER = "demo"
DEMO_IDENTITY = {
    "name": "The Calm Explorer",
    "i_am_statement": "I am an explorer who stays calm when it matters.",
    "visualization": "Floating in the space station's cupola, Earth below, smiling, in a blue flight suit.",
}
DOG_JOB = "research"
STEP_COUNT = 11


@dataclass
class StepResult:
    step: str
    tool: str
    status: str = "ok"  # ok, skipped or failed
    detail: str = ""
    likeness: dict[str, Any] | None = None
    cost_usd: float | None = None
    seconds: float = 0.0
    run_id: str | None = None
    url: str | None = None
    result: dict[str, Any] = field(default_factory=dict)


class DemoRun:
    """Runs the steps in order, timing each and turning tool failures into step results."""

    def __init__(self, session: ToolSession, bars: ProgressBars) -> None:
        self.session = session
        self.bars = bars
        self.steps: list[StepResult] = []
        self.overall: TaskID = bars.add("demo", total=STEP_COUNT)
        self.current: TaskID = bars.add("step")

    async def step(
        self,
        name: str,
        tool: str,
        call: Callable[[Any], Awaitable[dict[str, Any]]],
        needs: str | None = None,
    ) -> StepResult:
        step = StepResult(step=name, tool=tool)
        self.bars.progress.reset(self.current, description=name, total=None)
        started = time.monotonic()
        if needs is not None:
            step.status, step.detail = "skipped", needs
        else:
            try:
                step.result = await call(self.bars.callback(self.current, name))
            except ToolMissing as exc:
                step.status, step.detail = "skipped", f"{exc.name} is not on this server yet"
            except ToolFailed as exc:
                step.status, step.detail = "failed", for_person(str(exc))
        step.seconds = round(time.monotonic() - started, 2)
        self._describe(step)
        self.steps.append(step)
        self.bars.advance(self.overall, f"demo: {name} {step.status}")
        return step

    def _describe(self, step: StepResult) -> None:
        result = step.result
        if not result:
            return
        # generate_avatar answers with a list: show its best avatar's headshot and likeness.
        avatars = result.get("avatars") or []
        best: dict[str, Any] = next(
            (a for a in avatars if a.get("avatar_id") == result.get("best_avatar_id")), {}
        )
        step.likeness = result.get("likeness") or best.get("likeness")
        step.cost_usd = result.get("cost_usd")
        step.run_id = result.get("run_id")
        step.url = result.get("image_url") or result.get("url") or best.get("headshot_url")
        if result.get("quality_verdict"):
            step.detail = "quality " + " - ".join(
                [result["quality_verdict"], *result.get("quality_reasons", [])]
            )


def demo_portrait(photo: Path | None, out_dir: Path) -> Path:
    """The photo to use: --photo, or the bundled public-domain portrait of Grace Hopper.

    It is sharp (no quality warning) and a different person from the offline provider's stand-in
    (Eileen Collins), so the generic_swap and face_swap steps really move a face from one person to
    another (tool_server/assets/README.md).
    """
    if photo is not None:
        if not photo.is_file():
            typer.echo(f"coach-image-tools: no file at {photo}", err=True)
            raise typer.Exit(2)
        return photo.resolve()
    from importlib import resources

    path = out_dir / "grace_hopper.jpg"
    path.write_bytes(resources.files("tool_server.assets").joinpath("demo_portrait.jpg").read_bytes())
    return path


async def run_demo(session: ToolSession, portrait: Path, profile: dict[str, str]) -> list[StepResult]:
    from tool_server.providers.offline_render import generic_person

    offline = {"provider": "offline"}
    with progress_bars() as bars:
        demo = DemoRun(session, bars)
        photo = await demo.step(
            "reference photo",
            "add_reference_photo",
            lambda p: session.call("add_reference_photo", {"path": str(portrait)}),
        )
        if photo.status != "ok":
            return demo.steps
        await demo.step(
            "body profile", "set_body_profile", lambda p: session.call("set_body_profile", profile)
        )
        saved = await demo.step(
            "identity", "save_identity", lambda p: session.call("save_identity", DEMO_IDENTITY)
        )
        if saved.status != "ok":
            return demo.steps
        identity_id = saved.result["identity_id"]

        def strategy(name: str) -> Callable[[Any], Awaitable[dict[str, Any]]]:
            arguments = {"identity_id": identity_id, "strategy": name, "candidates": 1, **offline}
            return lambda progress: generate_image(session, arguments, progress)

        direct = await demo.step("strategy direct", "generate_identity_image", strategy("direct"))
        await demo.step("strategy generic_swap", "generate_identity_image", strategy("generic_swap"))
        avatars = await demo.step(
            "avatar",
            "generate_avatar",
            lambda p: session.call_run("generate_avatar", {"candidates": 1, **offline}, p),
        )
        best = avatars.result.get("best_avatar_id")
        missing_avatar = (
            None if best else f"no approved avatar ({avatars.detail or 'generate_avatar made none'})"
        )
        await demo.step(
            "approve avatar",
            "approve_avatar",
            lambda p: session.call("approve_avatar", {"avatar_id": best}),
            needs=missing_avatar,
        )
        await demo.step(
            "strategy avatar", "generate_identity_image", strategy("avatar"), needs=missing_avatar
        )
        await demo.step(
            "accept",
            "accept_identity_visualization",
            lambda p: session.call(
                "accept_identity_visualization",
                {"identity_id": identity_id, "image_id": direct.result["image_id"]},
            ),
            needs=None if direct.status == "ok" else "the direct strategy made no image",
        )
        await demo.step(
            "face swap",
            "face_swap",
            lambda p: session.call_run(
                "face_swap", {"target_image_base64": _base64(generic_person()), **offline}, p
            ),
        )
        await demo.step(
            "dog avatar", "dog_avatar", lambda p: session.call("dog_avatar", {"job": DOG_JOB, **offline}, p)
        )
        bars.progress.remove_task(demo.current)
    return demo.steps


def _base64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def _relative(url: str | None, root: Path) -> str | None:
    """A file:// URL under the demo folder as a short relative path; other URLs unchanged."""
    if url and url.startswith("file://"):
        from urllib.parse import unquote, urlparse

        path = Path(unquote(urlparse(url).path))
        if path.is_relative_to(root):
            return str(path.relative_to(root))
    return url


def write_gallery(settings: Settings, out_dir: Path) -> Path:
    """The user's page and every run's page (dog avatar runs too) under `out_dir/gallery`."""
    import anyio

    from tool_server.app import build_app
    from tool_server.gallery.static import write_user_gallery

    app = build_app(settings, "stdio")
    return anyio.run(write_user_gallery, app, DEMO_USER, out_dir / "gallery")


@app.command()
def demo(
    photo: Annotated[
        Path | None, typer.Option(help="Your own portrait instead of the bundled Grace Hopper.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Where to keep the demo's storage (default: a new temp folder).")
    ] = None,
    gender: Annotated[Gender, typer.Option(help="Body profile for the portrait.")] = "woman",
    height: Annotated[Height, typer.Option(help="Body profile for the portrait.")] = "average",
    build: Annotated[Build, typer.Option(help="Body profile for the portrait.")] = "athletic",
    skin_tone: Annotated[SkinTone, typer.Option(help="Body profile for the portrait.")] = "light",
    open_gallery: Annotated[
        bool, typer.Option("--open", help="Open the gallery in the web browser.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Run the whole flow with the offline provider (no keys): every tool, then the gallery to look at."""
    started = time.monotonic()
    out_dir = (out or Path(tempfile.mkdtemp(prefix="coach-image-demo-"))).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    storage = fresh_storage(out_dir, "--out")
    settings = load_cli_settings(provider="offline", storage_url=str(storage), user=DEMO_USER)
    portrait = demo_portrait(photo, out_dir)
    profile: dict[str, str] = {"gender": gender, "height": height, "build": build, "skin_tone": skin_tone}
    steps = run_tools(settings, lambda session: run_demo(session, portrait, profile))
    gallery = write_gallery(settings, out_dir)
    total_s = round(time.monotonic() - started, 2)
    if open_gallery:
        webbrowser.open(gallery.as_uri())
    if json_out:
        print_json(
            {
                "out_dir": str(out_dir),
                "storage": str(storage),
                "gallery": str(gallery),
                "total_s": total_s,
                "steps": [asdict(s) for s in steps],
            }
        )
    else:
        rows = [
            (
                f"{s.step} ({s.tool})",
                s.status,
                likeness_text(s.likeness),
                f"{s.seconds:.1f}",
                " ".join(filter(None, [_relative(s.url, out_dir), s.detail])),
            )
            for s in steps
        ]
        cost = cost_text(sum(s.cost_usd or 0.0 for s in steps))
        print_table(
            f"Demo (offline provider, {cost}) in {total_s:.1f} s; files under {out_dir}",
            ("step (tool)", "status", "likeness", "s", "image / note"),
            rows,
        )
        typer.echo(f"Gallery: {gallery}")
    if any(s.status == "failed" for s in steps):
        for s in steps:
            if s.status == "failed":
                typer.echo(f"coach-image-tools: demo step {s.step!r} failed: {s.detail}", err=True)
        raise typer.Exit(1)
