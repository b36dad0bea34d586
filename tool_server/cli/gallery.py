"""`coach-image-tools gallery me`: the acting user's page (photos, avatars, identities, runs)."""

from __future__ import annotations

import typer

from tool_server.cli import app
from tool_server.cli.runs import OpenOption, OutOption, run_in_store, write_and_show

gallery_app = typer.Typer(help="Static HTML galleries for COACH_IMAGE_USER (no server needed).")
app.add_typer(gallery_app, name="gallery")


@gallery_app.command("me")
def gallery_me(out: OutOption = None, open_browser: OpenOption = False) -> None:
    """Write the user's gallery page and print its path; run pages written before are linked."""
    from tool_server.gallery import default_gallery_dir, write_user_gallery

    page = run_in_store(
        lambda context, user: write_user_gallery(context, user, out or default_gallery_dir(context))
    )
    write_and_show(page, open_browser)
