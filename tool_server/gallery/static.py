"""Self-contained gallery folders for stdio users: index.html, image copies and thumbnails.

Layout under the gallery directory (relative links only, so the folder can be moved or zipped):

    {user}/index.html                   the user page (`coach-image-tools gallery me`: every run linked)
    {user}/runs/{run_id}/index.html     a run page (`coach-image-tools runs open RUN_ID`)
    {user}/files/...                    full-size copies, mirroring the store below users/{user}/
    {user}/thumbs/....webp              thumbnails the pages show (longest side THUMB_SIDE)
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import anyio.to_thread
from PIL import Image

from tool_server.app import AppContext
from tool_server.gallery.render import render_run, render_user
from tool_server.gallery.views import Picture, run_view, user_view
from tool_server.userdata import keys

THUMB_SIDE = 512


def default_gallery_dir(app: AppContext) -> Path:
    """COACH_IMAGE_GALLERY_DIR, else a `gallery` folder beside the default data directory."""
    if app.settings.gallery_dir is not None:
        return app.settings.gallery_dir
    from tool_server.settings import default_storage_dir

    return default_storage_dir().parent / "gallery"


class StaticLinker:
    """Copies each image once into the folder and links to it relative to the page."""

    def __init__(self, app: AppContext, user: str, root: Path, page_dir: Path) -> None:
        self.app = app
        self.user_prefix = keys.user_root(user) + "/"
        self.root = root
        self.page_dir = page_dir
        self.copied = 0

    async def __call__(self, key: str, mime_type: str, alt: str) -> Picture:
        relative = key.removeprefix(self.user_prefix)
        full = self.root / "files" / relative
        thumb = self.root / "thumbs" / thumb_name(relative)
        if not (full.exists() and thumb.exists()):
            data = await self.app.blobs.get(key)
            await anyio.to_thread.run_sync(_write_copy_and_thumb, data, full, thumb)
            self.copied += 1
        return Picture(src=self._link(thumb), href=self._link(full), alt=alt)

    def _link(self, target: Path) -> str:
        return Path(os.path.relpath(target, self.page_dir)).as_posix()


def thumb_name(relative: str) -> str:
    # WebP keeps transparency (dog avatars) and stays small for photos.
    return Path(relative).with_suffix(".webp").as_posix()


def _write_copy_and_thumb(data: bytes, full: Path, thumb: Path) -> None:
    full.parent.mkdir(parents=True, exist_ok=True)
    thumb.parent.mkdir(parents=True, exist_ok=True)
    full.write_bytes(data)
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        image = opened.copy()
    image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
    image.save(thumb, format="WEBP", quality=85, method=4)


async def write_run_gallery(app: AppContext, user: str, run_id: str, directory: Path) -> Path:
    """Write the page of one run (NotFound if the user has no such run); returns its index.html."""
    root = directory / user
    back = "../../index.html" if (root / "index.html").exists() else None
    return await _write_run_page(app, user, run_id, root, back)


async def _write_run_page(app: AppContext, user: str, run_id: str, root: Path, back: str | None) -> Path:
    page_dir = root / "runs" / run_id
    view = await run_view(app, user, run_id, StaticLinker(app, user, root, page_dir))
    page_dir.mkdir(parents=True, exist_ok=True)
    return _write_page(page_dir / "index.html", render_run(view, back_href=back))


async def write_user_gallery(app: AppContext, user: str, directory: Path) -> Path:
    """Write the user's page and every run's page, each run linked from it. Returns its index.html.

    Every run gets its page (not only those written before), so no row of the page is a dead end;
    images already copied into the folder are not copied again.
    """
    root = directory / user
    for run_id in await app.runs.list(user):
        await _write_run_page(app, user, run_id, root, back="../../index.html")

    def run_link(run_id: str) -> str | None:
        page = root / "runs" / run_id / "index.html"
        return f"runs/{run_id}/index.html" if page.exists() else None

    view = await user_view(app, user, StaticLinker(app, user, root, root), run_link)
    return _write_page(root / "index.html", render_user(view))


def _write_page(path: Path, html: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(path)
    return path.resolve()
