"""Gallery pages from a real offline run: what they show, escaping, static folders, HTTP ownership."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx2
from mcp import Client
from PIL import Image

from tests.gallery.conftest import MadeRun, make_run, serve_http
from tool_server.app import AppContext, build_app
from tool_server.gallery import write_run_gallery, write_user_gallery
from tool_server.gallery.render import render_run
from tool_server.gallery.views import Picture, run_view
from tool_server.server import create_server
from tool_server.settings import Settings


async def plain_link(key: str, mime_type: str, alt: str) -> Picture:
    return Picture(src=f"/img/{key}", href=f"/img/{key}", alt=alt)


async def test_run_page_lists_every_step_in_order_with_likeness_and_the_calls(
    http_app: AppContext, made_run: MadeRun
) -> None:
    view = await run_view(http_app, "alice", made_run.run_id, plain_link)
    page = render_run(view)
    record = await http_app.runs.get("alice", made_run.run_id)
    # Every step's image, in the order the run made them (generic images first, then the swaps).
    sources = re.findall(r'<img src="/img/([^"]+)"', page)
    assert sources == [step.key for step in record.steps]
    assert [s.kind for s in record.steps] == ["generic", "generic", "swapped", "swapped"]
    best = made_run.result["likeness"]
    verdict = f"{best['distance']:.2f}, passes at 0.50"
    assert f'likeness <b class="score">{best["score"]:.2f}</b> · {verdict}' in page
    # The two scored swaps; the generic images are not scored.
    assert page.count(", passes at 0.50</span>") == 2
    assert page.count('class="badge chosen-tag"') == 1
    assert "offline-compositor-v1" in page and "offline.face_swap" in page
    assert "Giving a keynote on a big stage" in page and "$0.000" in page
    assert view.duration_s is not None and view.duration_s > 0


async def test_user_text_is_escaped_not_rendered_as_html(http_app: AppContext) -> None:
    made = await make_run(http_app, identity_name="<script>alert(1)</script> & co")
    view = await run_view(http_app, "alice", made.run_id, plain_link)
    page = render_run(view)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page


async def test_static_run_folder_is_self_contained_with_relative_links(
    http_app: AppContext, made_run: MadeRun, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    page = await write_run_gallery(http_app, "alice", made_run.run_id, out)
    assert page == (out / "alice" / "runs" / made_run.run_id / "index.html").resolve()
    html = page.read_text()
    links = re.findall(r'(?:src|href)="([^"#]+)"', html)
    assert links and not [link for link in links if "://" in link or link.startswith("/")]
    for link in links:
        assert (page.parent / link).resolve().is_file(), link
    thumbs = re.findall(r'<img src="([^"]+)"', html)
    for thumb in thumbs:
        with Image.open(page.parent / thumb) as image:
            assert max(image.size) <= 512
    # Moving the folder keeps it working: nothing points outside it.
    assert all((page.parent / link).resolve().is_relative_to(out.resolve()) for link in links)


async def test_user_page_shows_photos_verdicts_identities_and_links_written_runs(
    http_app: AppContext, made_run: MadeRun, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    await write_run_gallery(http_app, "alice", made_run.run_id, out)
    page = await write_user_gallery(http_app, "alice", out)
    html = page.read_text()
    index = await http_app.photos.index("alice")
    verdict = index.photos[0].quality["verdict"]  # type: ignore[index]
    assert f"quality: {verdict}" in html and "Primary photo" in html
    # Photo and its face crop, the identity's current image, then both candidates it made.
    assert html.count("<img") == 2 + 1 + 2
    assert "The Speaker" in html and "I am bold" in html
    assert f'href="runs/{made_run.run_id}/index.html"' in html
    assert "No avatar yet" in html


async def test_http_gallery_serves_only_the_acting_users_images(
    http_app: AppContext, made_run: MadeRun
) -> None:
    await http_app.blobs.put("users/bob/photos/secret.jpg", b"\xff\xd8\xff bob's photo")
    async with serve_http(http_app) as base, httpx2.AsyncClient(base_url=base) as client:
        page = await client.get(f"/gallery/runs/{made_run.run_id}")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        images = [html.unescape(src) for src in re.findall(r'<img src="([^"]+)"', page.text)]
        assert len(images) == 4
        for src in images:
            answer = await client.get(src)
            assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        assert (await client.get("/gallery/images/../bob/photos/secret.jpg")).status_code == 404
        assert (await client.get("/gallery/images/..%2Fbob%2Fphotos%2Fsecret.jpg")).status_code == 404
        assert (await client.get("/gallery/images/photos/index.json")).status_code == 404
        missing = await client.get("/gallery/runs/run_0000000000nothere00")
        assert missing.status_code == 404 and "No run with id" in missing.text
        me = await client.get("/gallery/me")
        assert me.status_code == 200 and f'href="/gallery/runs/{made_run.run_id}"' in me.text


async def test_the_gallery_lists_runs_a_page_at_a_time_following_older_runs_links(
    gallery_settings: Settings,
) -> None:
    app = build_app(gallery_settings.model_copy(update={"list_page_size": 2}), "http")
    made = [(await app.runs.start("alice", "identity_image", {})).run_id for _ in range(5)]
    assert app.url_signer is not None
    link: str | None = app.url_signer.page_url("/gallery/me", "alice", 600)  # a browser, no token
    shown: list[list[str]] = []
    async with serve_http(app) as base, httpx2.AsyncClient() as browser:
        while link:
            page = await browser.get(link if link.startswith("http") else base + link)
            assert page.status_code == 200, page.text
            assert "5 runs" in page.text
            shown.append(re.findall(r">(run_[0-9a-z]+)</a>", page.text))
            older = re.findall(r'<a href="([^"]+)">Older runs</a>', page.text)
            link = html.unescape(older[0]) if older else None
        bad = await browser.get(f"{base}/gallery/me?runs_from=-1")
    assert [len(page) for page in shown] == [2, 2, 1]
    assert [run for page in shown for run in page] == sorted(made, reverse=True)  # newest first
    assert bad.status_code == 400


async def test_gallery_me_links_every_run_and_shows_as_many_images_as_it_counts(
    http_app: AppContext, made_run: MadeRun, tmp_path: Path
) -> None:
    server = create_server(http_app.settings, http_app.transport, app=http_app)
    async with Client(server, raise_exceptions=True) as client:
        for arguments in (
            {"identity_id": made_run.identity_id, "candidates": 1, "strategy": "direct"},
            {"identity_id": made_run.identity_id, "candidates": 1, "strategy": "generic_swap"},
        ):
            assert not (await client.call_tool("generate_identity_image", arguments)).is_error
        assert not (await client.call_tool("dog_avatar", {"job": "chef"})).is_error
    runs = await http_app.runs.list("alice")
    kinds = {(await http_app.runs.get("alice", run_id)).kind for run_id in runs}
    assert len(runs) == 4 and len(kinds) == 2, kinds  # three identity runs and the dog avatar run

    # No run page was written before: `gallery me` alone links every run to a page that exists.
    page = await write_user_gallery(http_app, "alice", tmp_path / "out")
    text = page.read_text()
    linked = re.findall(r'<a href="(runs/[^"]+/index.html)">', text)
    assert sorted(linked) == sorted(f"runs/{run_id}/index.html" for run_id in runs)
    for link in linked:
        run_page = (page.parent / link).read_text()
        assert 'href="../../index.html"' in run_page
    identity = await http_app.identities.get("alice", made_run.identity_id)
    made = len(identity.image_ids)
    assert made == 4  # two candidates, then one each
    assert f"{made} images made" in text and f"All {made} images made" in text
    card = text[text.index(f"All {made} images made") :]
    assert card[: card.index("</article>")].count("<img") == made
