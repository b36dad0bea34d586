"""Image links on local storage over HTTP: signed, expiring, never a guessable path."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import httpx2

from tests.photo_files import encode, portrait
from tests.security.conftest import ServeFor, mcp_client, mint
from tool_server.app import build_app
from tool_server.auth.signed_urls import UrlSigner
from tool_server.settings import Settings


def test_a_signature_covers_the_key_and_the_expiry() -> None:
    clock = [1_000_000.0]
    signer = UrlSigner(b"k" * 32, "https://coach.example", clock=lambda: clock[0])
    url = signer.url("users/a/photos/photo_1.jpg", 600)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert url.startswith("https://coach.example/files/users/a/photos/photo_1.jpg?exp=1000600&sig=")
    assert signer.verify("users/a/photos/photo_1.jpg", query["exp"], query["sig"])
    assert not signer.verify("users/b/photos/photo_1.jpg", query["exp"], query["sig"])
    assert not signer.verify("users/a/photos/photo_1.jpg", str(int(query["exp"]) + 1), query["sig"])
    assert not signer.verify("users/a/photos/photo_1.jpg", query["exp"], None)
    other = UrlSigner(b"j" * 32, "https://coach.example", clock=lambda: clock[0])
    assert not other.verify("users/a/photos/photo_1.jpg", query["exp"], query["sig"])
    clock[0] += 601
    assert not signer.verify("users/a/photos/photo_1.jpg", query["exp"], query["sig"])


def test_stdio_keeps_file_urls(settings: Settings) -> None:
    assert build_app(settings, "stdio").url_signer is None


async def test_a_photo_link_serves_the_photo_until_it_expires_and_refuses_any_change(serve: ServeFor) -> None:
    photo = base64.b64encode(encode(portrait())).decode()
    with serve(public_base_url=None) as server:
        async with mcp_client(server, mint("gina")) as client:
            added = await client.call_tool("add_reference_photo", {"image_base64": photo})
        url = added.structured_content["url"]  # type: ignore[index]
        key = server.app.photos
        record = (await key.index("gina")).photos[0]
        stored = await server.app.blobs.get(record.key)
        assert url.startswith(f"{server.url}/files/users/gina/photos/") and "&sig=" in url
        tampered_sig = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
        query = parse_qs(urlsplit(url).query)
        longer = url.replace(f"exp={query['exp'][0]}", f"exp={int(query['exp'][0]) + 3600}")
        guessed = f"{server.url}/files/{record.key}"
        other_key = url.replace(record.photo_id, "photo_01aaaaaaaaaaaaaaaaaa")
        async with httpx2.AsyncClient() as http:
            served = await http.get(url)  # no bearer token: the signature is the credential
            refused = [await http.get(u) for u in (tampered_sig, longer, guessed, other_key)]
            await server.app.blobs.delete(record.key)
            gone = await http.get(url)
    assert served.status_code == 200 and served.content == stored
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert {r.status_code for r in refused} == {403}
    assert len({r.text for r in refused}) == 1 and "invalid or has expired" in refused[0].text
    assert gone.status_code == 404


async def test_links_use_the_public_base_url_when_set(serve: ServeFor) -> None:
    photo = base64.b64encode(encode(portrait())).decode()
    with serve(public_base_url="https://images.coach.example/") as server:
        async with mcp_client(server, mint("hal")) as client:
            added = await client.call_tool("add_reference_photo", {"image_base64": photo})
    assert added.structured_content["url"].startswith("https://images.coach.example/files/users/hal/")  # type: ignore[index]
