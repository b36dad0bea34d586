"""A real HTTP server (uvicorn on a loopback port) with bearer-token auth, tokens, and MCP clients.

`http_server(settings)` runs the app in a thread; `mcp_client(server, token)` is the SDK's
streamable-HTTP client with an Authorization header; `mint()` signs HS256 tokens with SECRET.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tool_server.app import AppContext, build_app
from tool_server.http.asgi import http_app
from tool_server.http.serving import uvicorn_config
from tool_server.server import create_server
from tool_server.settings import Settings

SECRET = "test-jwt-secret-" + "x" * 32
BOTH = "images:read images:write"


def mint(
    sub: str,
    scope: str = BOTH,
    *,
    secret: str = SECRET,
    expires_in: int = 600,
    **claims: Any,
) -> str:
    """An HS256 token as a coach back end mints it."""
    now = int(time.time())
    payload: dict[str, Any] = {"sub": sub, "scope": scope, "iat": now, "exp": now + expires_in, **claims}
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm="HS256")


@dataclass
class RunningServer:
    url: str
    app: AppContext

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def http_server(settings: Settings, sock: socket.socket | None = None) -> Iterator[RunningServer]:
    """Serve `settings` (its port must be the socket's) over real HTTP until the block ends."""
    sock = sock or free_socket()
    app = build_app(settings, "http")
    asgi = http_app(create_server(settings, "http", app=app), settings)
    server = uvicorn.Server(uvicorn_config(asgi, settings, log_config=None, lifespan="on", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the HTTP server did not start"
        time.sleep(0.01)
    try:
        yield RunningServer(f"http://127.0.0.1:{sock.getsockname()[1]}", app)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


ServeFor = Callable[..., Any]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeFor]:
    """`with serve(**settings) as server:` an authenticated HTTP server on its own storage."""

    @contextmanager
    def _serve(**overrides: Any) -> Iterator[RunningServer]:
        sock = free_socket()
        options: dict[str, Any] = {
            "storage_url": str(tmp_path / "data"),
            "provider": "offline",
            "jwt_secret": SECRET,
            "port": sock.getsockname()[1],
            "_env_file": None,
        }
        options.update(overrides)
        with http_server(Settings(**options), sock) as running:
            yield running

    yield _serve


@asynccontextmanager
async def mcp_client(server: RunningServer, token: str | None, mode: str = "auto") -> AsyncIterator[Client]:
    """The SDK's streamable-HTTP client, sending `token` as the bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60.0)) as http,
        Client(streamable_http_client(server.mcp_url, http_client=http), mode=mode) as client,
    ):
        yield client


class JwksServer:
    """A loopback JWKS endpoint (the identity provider's key set) and the private key to sign with."""

    def __init__(self, kid: str = "key-1") -> None:
        self.kid = kid
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        self._body = json.dumps({"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "RS256"}]}).encode()
        self.fetches = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "enter the JwksServer first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"

    def mint(self, sub: str, scope: str = BOTH, **claims: Any) -> str:
        now = int(time.time())
        payload = {"sub": sub, "scope": scope, "iat": now, "exp": now + 600, **claims}
        return jwt.encode(payload, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def __enter__(self) -> JwksServer:
        owner, body = self, self._body

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    with JwksServer() as server:
        yield server


async def seed_user(server: RunningServer, sub: str) -> dict[str, str]:
    """Give `sub` a photo, an identity, a generated image (offline provider), its run and an avatar.

    Returns the ids by kind: photo, identity, image, run, avatar.
    """
    import base64

    from tests.photo_files import encode, portrait
    from tool_server.auth.tokens import user_for_subject
    from tool_server.ids import new_id
    from tool_server.userdata import keys
    from tool_server.userdata.models import AvatarEntry, AvatarIndex

    photo = base64.b64encode(encode(portrait())).decode()
    async with mcp_client(server, mint(sub)) as client:
        added = await client.call_tool("add_reference_photo", {"image_base64": photo})
        assert not added.is_error, added.content
        saved = await client.call_tool("save_identity", {"name": "Speaker", "visualization": "On a stage"})
        identity_id = saved.structured_content["identity_id"]  # type: ignore[index]
        made = await client.call_tool(
            "generate_identity_image", {"identity_id": identity_id, "candidates": 1}
        )
        assert not made.is_error, made.content
    result = made.structured_content or {}
    avatar_id = new_id("avt")
    user = user_for_subject(sub)
    avatars = AvatarIndex(
        avatars=[
            AvatarEntry(
                avatar_id=avatar_id,
                number=1,
                provider="offline",
                headshot_image_id=str(result["image_id"]),
                headshot_name="headshot.png",
            )
        ]
    )
    await server.app.docs.write(keys.avatar_index(user), avatars)
    return {
        "photo": str(added.structured_content["photo_id"]),  # type: ignore[index]
        "identity": str(identity_id),
        "image": str(result["image_id"]),
        "run": str(result["run_id"]),
        "avatar": avatar_id,
    }
