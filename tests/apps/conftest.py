"""A test host for the apps: headless Chromium, the ext-apps AppBridge, the real server over HTTP.

The host page (ui/test-host/host.ts, built by `npm run build` in ui/) renders an app in a
sandboxed iframe under the spec's default CSP. Its bridge forwards the app's tools/call and
resources/read to `mcpForward`, bound here to a real MCP client (advertising the extension)
connected over streamable HTTP to the server on a real uvicorn loopback port.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.extension import advertise
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from tests.conftest import wire
from tests.gallery.conftest import free_port, serve_http
from tests.gallery.test_gallery_browser import CHROMIUM, CHROMIUM_ARGS
from tool_server.app import AppContext, build_app
from tool_server.settings import Settings

UI = Path(__file__).resolve().parents[2] / "ui"
HOST_JS = UI / "dist" / "host.js"
AXE_JS = UI / "node_modules" / "axe-core" / "axe.min.js"
HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test host</title>
<style>body{margin:0;background:%s} iframe{border:0;width:100%%;height:400px;display:block}</style>
</head><body><main id="apps"></main><script>%s</script></body></html>"""


def needs_browser() -> list[Any]:
    ready = os.path.exists(CHROMIUM) and HOST_JS.exists() and AXE_JS.exists()
    return [
        pytest.mark.slow,
        pytest.mark.skipif(
            not ready and not os.environ.get("CI"),
            reason="needs chromium and the test host (cd ui && npm ci && npm run build); .ci/run does both",
        ),
    ]


@dataclass
class Host:
    """One app rendered in the test host; `calls` are the tools/call requests the app made."""

    page: Any
    client: Client
    app: AppContext
    shots: Path
    calls: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    async def open(
        self, uri: str, tool_input: dict[str, Any] | None = None, result: Any = None, theme: str = "light"
    ) -> Any:
        """Render the page at `uri` as the host would after a call of its tool; returns its frame."""
        content = wire(await self.client.read_resource(uri))["contents"][0]
        assert content["mimeType"] == APP_MIME_TYPE
        await self.page.evaluate(
            "([html, input, result, theme]) => { document.body.style.background = theme === 'dark' ? "
            "'#111' : '#fff'; return startApp(html, input, result, theme); }",
            [content["text"], tool_input or {}, None if result is None else wire(result), theme],
        )
        return self.page.frame_locator("iframe")

    def frame(self) -> Any:
        return next(f for f in self.page.frames if f != self.page.main_frame)

    async def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        # Chromium paints a cross-origin iframe only near the viewport: make the viewport the page.
        size = self.page.viewport_size
        height = await self.page.evaluate("() => document.documentElement.scrollHeight")
        await self.page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
        for frame in (self.frame(), self.page.main_frame):
            await frame.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
        await self.page.screenshot(path=str(path))
        await self.page.set_viewport_size(size)
        print(f"\nscreenshot: {path}")
        return path

    async def axe(self) -> list[dict[str, Any]]:
        """Serious and critical accessibility violations (axe-core) in the app's frame."""
        frame = self.frame()
        await frame.evaluate(AXE_JS.read_text())
        report = await frame.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]]}
            for v in report["violations"]
            if v["impact"] in ("serious", "critical")
        ]


@pytest.fixture
def browser_app(tmp_path: Path) -> AppContext:
    settings = Settings(  # type: ignore[call-arg]
        storage_url=str(tmp_path / "data"), user="alice", provider="offline", port=free_port(), _env_file=None
    )
    return build_app(settings, "http")


@asynccontextmanager
async def hosting(app: AppContext, tmp_path: Path, width: int = 360) -> AsyncIterator[Host]:
    assert shutil.which(CHROMIUM), "chromium is missing: apt-get install -y chromium"
    from playwright.async_api import async_playwright

    extensions = [advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})]
    async with (
        serve_http(app) as base,
        Client(f"{base}/mcp", extensions=extensions) as client,
        async_playwright() as driver,
    ):
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": width, "height": 760})
            host = Host(page=page, client=client, app=app, shots=tmp_path)
            page.on("console", lambda m: m.type == "error" and host.problems.append(m.text))
            page.on("pageerror", lambda e: host.problems.append(str(e)))

            async def forward(method: str, params: dict[str, Any]) -> dict[str, Any]:
                if method == "tools/call":
                    host.calls.append(params)
                    return wire(await client.call_tool(params["name"], params.get("arguments") or {}))
                assert method == "resources/read", method
                return wire(await client.read_resource(params["uri"]))

            await page.expose_function("mcpForward", forward)
            script = HOST_JS.read_text().replace("</script", "<\\/script")
            await page.set_content(HOST_PAGE % ("#fff", script))
            yield host
        finally:
            await browser.close()
