"""The gallery in a real headless browser (Debian's chromium driven by playwright-python).

The static folder (file://) and the HTTP gallery (a real uvicorn loopback port) must load with
every image decoded (no broken image) and the likeness scores visible. Screenshots are saved in
the test's tmp dir and their paths printed (`pytest -s` shows them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.gallery.conftest import MadeRun, serve_http
from tool_server.app import AppContext
from tool_server.gallery import write_run_gallery, write_user_gallery

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
        reason="needs Debian's chromium (apt-get install chromium); .ci/run installs it",
    ),
]

IMAGES_STATE = """() => Array.from(document.images).map(img => ({
    src: img.getAttribute('src'), complete: img.complete, width: img.naturalWidth }))"""


async def check_page(page: Any, url: str, screenshot: Path, expected_images: int) -> list[str]:
    """Open `url`, assert every image decoded; returns the likeness scores the page shows."""
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    response = await page.goto(url, wait_until="load")
    assert response is not None and response.ok, url
    images = await page.evaluate(IMAGES_STATE)
    assert len(images) == expected_images, images
    broken = [i["src"] for i in images if not i["complete"] or i["width"] == 0]
    assert broken == [] and failed == [], (broken, failed)
    await page.screenshot(path=str(screenshot), full_page=True)
    print(f"\nscreenshot: {screenshot}")
    return [text.strip() for text in await page.locator(".badge .score, dd.score").all_inner_texts()]


async def test_gallery_pages_load_every_image_and_show_scores_in_chromium(
    http_app: AppContext, made_run: MadeRun, tmp_path: Path
) -> None:
    assert shutil.which(CHROMIUM), "chromium is missing: apt-get install -y chromium"
    from playwright.async_api import async_playwright

    static_run = await write_run_gallery(http_app, "alice", made_run.run_id, tmp_path / "gallery")
    static_me = await write_user_gallery(http_app, "alice", tmp_path / "gallery")
    best = f"{made_run.result['likeness']['score']:.2f}"

    async with async_playwright() as driver, serve_http(http_app) as base:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            scores = await check_page(page, static_run.as_uri(), tmp_path / "static_run.png", 4)
            assert scores.count(best) == 3  # the two swaps and the run's best likeness
            # Photo and face crop, the current image, then both candidates the identity made.
            scores = await check_page(page, static_me.as_uri(), tmp_path / "static_me.png", 5)
            assert best in scores
            await page.get_by_role("link", name=made_run.run_id).click()
            assert page.url == static_run.as_uri()

            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            url = f"{base}/gallery/runs/{made_run.run_id}"
            scores = await check_page(page, url, tmp_path / "http_run.png", 4)
            assert scores.count(best) == 3
            assert await page.get_by_text("offline.face_swap").count() == 2
            phone = await browser.new_page(viewport={"width": 390, "height": 844})
            scores = await check_page(phone, f"{base}/gallery/me", tmp_path / "http_me_phone.png", 5)
            assert best in scores
            width = await phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390  # responsive: no horizontal scrolling on a phone
        finally:
            await browser.close()
