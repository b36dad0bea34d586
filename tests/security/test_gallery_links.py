"""The gallery behind auth: browsers open it through signed page links, never without one."""

from __future__ import annotations

import html
import json
import re

import httpx2

from tests.security.conftest import ServeFor, mcp_client, mint, seed_user


async def test_a_signed_gallery_link_opens_the_run_page_without_a_token_and_only_as_issued(
    serve: ServeFor,
) -> None:
    with serve() as server:
        ids = await seed_user(server, "gina")
        async with mcp_client(server, mint("gina")) as client:
            record = json.loads((await client.read_resource(f"coach://runs/{ids['run']}")).contents[0].text)  # type: ignore[union-attr]
        link = record["gallery_url"]
        async with httpx2.AsyncClient() as browser:  # no Authorization header, like a browser
            page = await browser.get(link)
            images = [html.unescape(src) for src in re.findall(r'<img src="([^"]+)"', page.text)]
            loaded = [(await browser.get(src)).status_code for src in images]
            back = html.unescape(re.findall(r'href="([^"]*/gallery/me[^"]*)"', page.text)[0])
            me = await browser.get(back if back.startswith("http") else server.url + back)
            tampered = await browser.get(link.replace("u=gina", "u=mallory"))
            other_run = await browser.get(link.replace(ids["run"], "run_0000000000nothere00"))
            bare = await browser.get(f"{server.url}/gallery/runs/{ids['run']}")
    assert page.status_code == 200 and "likeness" in page.text.lower()
    assert images and set(loaded) == {200}
    assert me.status_code == 200 and "Speaker" in me.text
    assert tampered.status_code == 403 and other_run.status_code == 403
    assert bare.status_code == 401


def _links(page: str, base: str) -> list[str]:
    found = [html.unescape(u) for u in re.findall(r'(?:src|href)="([^"]+)"', page)]
    return [u if u.startswith("http") else base + u for u in found if "exp=" in u]


def _expiry(link: str) -> int:
    return int(re.findall(r"[?&]exp=(\d+)", link)[0])


async def test_links_on_a_gallery_page_expire_no_later_than_the_link_that_opened_it(
    serve: ServeFor,
) -> None:
    """The attack: open a short-lived run link, follow its links to pages signed afresh, keep access."""
    with serve() as server:
        ids = await seed_user(server, "hana")
        assert server.app.url_signer is not None
        short = server.app.url_signer.page_url(f"/gallery/runs/{ids['run']}", "hana", 90)
        opened_until = _expiry(short)
        async with httpx2.AsyncClient() as browser:
            run_page = await browser.get(short)
            on_run_page = _links(run_page.text, server.url)
            me_link = next(u for u in on_run_page if "/gallery/me" in u)
            me_page = await browser.get(me_link)
            on_me_page = _links(me_page.text, server.url)
            followed = [(await browser.get(u)).status_code for u in on_me_page]
    assert run_page.status_code == 200 and me_page.status_code == 200
    assert any("/files/" in u for u in on_run_page) and any("/gallery/runs/" in u for u in on_me_page)
    assert len(on_me_page) >= 4 and set(followed) == {200}  # photos, crops, images, the run
    late = [u for u in on_run_page + on_me_page if _expiry(u) > opened_until]
    assert late == []
