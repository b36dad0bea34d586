"""HTML for the gallery views: Jinja2 templates with autoescaping (identity texts are user input)."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tool_server import __version__
from tool_server.gallery.views import Likeness, RunView, UserView


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tool_server.gallery", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = format_time
    env.filters["usd"] = format_usd
    env.filters["score"] = format_score
    env.globals["version"] = __version__
    return env


def format_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def format_usd(value: float | None) -> str:
    return "—" if value is None else f"${value:.3f}"


def format_score(likeness: Likeness | None) -> str:
    if likeness is None or likeness.score is None:
        return "no face" if likeness is not None else "—"
    return f"{likeness.score:.2f}"


def render_run(view: RunView, *, back_href: str | None = None) -> str:
    """The page of one run: every step's image in order, its likeness, and the provider calls."""
    return _environment().get_template("run.html").render(run=view, back_href=back_href)


def render_user(view: UserView) -> str:
    """The page of one user: reference photos, avatars, identities and runs."""
    return _environment().get_template("user.html").render(me=view)
