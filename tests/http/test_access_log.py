"""The access log of `coach-image-tools serve --transport http`, the real command in a subprocess."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx2

from tests.photo_files import encode, portrait
from tests.security.conftest import SECRET, free_socket, mint
from tool_server.auth.tokens import user_for_subject

USER = "lena.access"


async def _until_up(url: str) -> None:
    with anyio.fail_after(60):
        while True:
            try:
                async with httpx2.AsyncClient() as probe:
                    await probe.get(f"{url}/.well-known/oauth-protected-resource/mcp")
                return
            except httpx2.TransportError:
                await anyio.sleep(0.05)


async def _use_the_server_like_a_user(url: str) -> int:
    """Upload, generate, then open the signed gallery link and every link on it; returns requests made."""
    from tests.security.conftest import RunningServer, mcp_client

    server: Any = RunningServer(url, app=None)  # type: ignore[arg-type]
    photo = base64.b64encode(encode(portrait())).decode()
    async with mcp_client(server, mint(USER)) as client:
        assert not (await client.call_tool("add_reference_photo", {"image_base64": photo})).is_error
        saved = await client.call_tool("save_identity", {"name": "Speaker", "visualization": "On a stage"})
        identity = saved.structured_content["identity_id"]  # type: ignore[index]
        made = await client.call_tool("generate_identity_image", {"identity_id": identity, "candidates": 1})
        run_id = made.structured_content["run_id"]  # type: ignore[index]
        record = json.loads((await client.read_resource(f"coach://runs/{run_id}")).contents[0].text)  # type: ignore[union-attr]
    requests = 0
    async with httpx2.AsyncClient() as browser:
        links = [record["gallery_url"], *(step["url"] for step in record["steps"])]
        page = await browser.get(record["gallery_url"])
        links += [html.unescape(u) for u in re.findall(r'(?:src|href)="([^"]+)"', page.text)]
        for link in links:
            answer = await browser.get(link if link.startswith("http") else url + link)
            assert answer.status_code == 200, (link, answer.status_code)
            requests += 1
        forged = await browser.get(f"{url}/gallery/runs/{run_id}?u={USER}&exp=1&sig=00")
        assert forged.status_code == 403
    return requests + 1


async def test_the_access_log_holds_no_signed_link_query_string_or_user_id(tmp_path: Path) -> None:
    """The attack: copy a working signed link (or learn who used the service) from the server's log."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_IMAGE_")}
    env.update(
        COACH_IMAGE_STORAGE_URL=str(tmp_path / "data"),
        COACH_IMAGE_PROVIDER="offline",
        COACH_IMAGE_JWT_SECRET=SECRET,
        COACH_IMAGE_PORT=str(port),
        COACH_IMAGE_LOG_LEVEL="INFO",
    )
    with (tmp_path / "server.log").open("w+") as log:
        process = await anyio.open_process(
            [sys.executable, "-m", "tool_server", "serve", "--transport", "http"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            await _until_up(url)
            made = await _use_the_server_like_a_user(url)
        finally:
            process.terminate()
            with anyio.fail_after(30):
                await process.wait()
            await process.aclose()
        log.seek(0)
        lines = [json.loads(line) for line in log if line.startswith("{")]
    access = [line for line in lines if line["logger"] in ("tool_server.access", "uvicorn.access")]
    print(f"access-log lines checked: {len(access)} (of {len(lines)} log lines, {made} link requests)")
    assert len(access) >= made
    user_id = user_for_subject(USER)
    for line in access:
        text = json.dumps(line)
        for leak in ("sig=", "exp=", "u=", user_id, f"/users/{user_id}/", "?"):
            assert leak not in text, f"{leak!r} in access log line {text}"
    routes = {line.get("route") for line in access}
    assert {"/mcp", "/gallery/runs/{run_id}", "/files/{key:path}"} <= routes
