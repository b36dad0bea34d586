"""A real HTTP server on loopback with a queue of scripted replies and a record of every request.

The vendor fakes (`fake_openai`, `fake_gemini`) build on it: the real SDKs are pointed at `base_url`
and talk HTTP to it, so what the tests see is what the SDK put on the wire.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One scripted answer. `reset=True` drops the connection with a TCP reset instead."""

    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    reset: bool = False
    content_type: str = "application/json"

    def payload(self) -> bytes:
        if self.body is not None:
            return self.body
        return json.dumps(self.json if self.json is not None else {}).encode()


@dataclass
class FilePart:
    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, list[str]], list[FilePart]]:
    """Split a multipart/form-data body exactly as sent (no normalisation of binary parts)."""
    boundary = ""
    for item in content_type.split(";")[1:]:
        key, _, value = item.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise ValueError("multipart body without a boundary")
    fields: dict[str, list[str]] = {}
    files: list[FilePart] = []
    delimiter = b"--" + boundary.encode()
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        params = _disposition_params(headers.get("content-disposition", ""))
        name = params.get("name", "")
        if "filename" in params:
            files.append(FilePart(name, params["filename"], headers.get("content-type"), data))
        else:
            fields.setdefault(name, []).append(data.decode("utf-8"))
    return fields, files


def _disposition_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in value.split(";")[1:]:
        key, _, raw = item.strip().partition("=")
        params[key.lower()] = raw.strip().strip('"')
    return params


class InFlight:
    """Counts requests being served at once; share one between fakes to measure a global bound."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0
        self.max = 0

    def enter(self) -> None:
        with self._lock:
            self.now += 1
            self.max = max(self.max, self.now)

    def leave(self) -> None:
        with self._lock:
            self.now -= 1


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 refuses bursts a real API takes (32 concurrent calls).
    request_queue_size = 128


class FakeHTTPServer:
    """Base of the vendor fakes: subclasses implement `validate()` and `default_reply()`."""

    def __init__(self, *, in_flight: InFlight | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.in_flight = in_flight or InFlight()
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _make_handler(self))
        self._server.block_on_close = True
        self._server.daemon_threads = False
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01})

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    # Subclass hooks --------------------------------------------------------------------------

    def parse(self, request: RecordedRequest) -> None:
        """Fill `json` / `fields` / `files` from the body."""

    def validate(self, request: RecordedRequest) -> Reply | None:
        """A 4xx reply when the request breaks the vendor's rules, else None."""
        return None

    def default_reply(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError

    # Internals -------------------------------------------------------------------------------

    def _answer(self, request: RecordedRequest) -> Reply:
        try:
            self.parse(request)
        except ValueError as exc:
            self.violations.append(f"unparseable request: {exc}")
            return Reply(400, {"error": {"message": str(exc)}})
        with self._lock:
            self.requests.append(request)
        rejection = self.validate(request)
        if rejection is not None:
            return rejection
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        return scripted if scripted is not None else self.default_reply(request)

    @property
    def max_in_flight(self) -> int:
        return self.in_flight.max


def _make_handler(fake: FakeHTTPServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_POST(self) -> None:
            fake.in_flight.enter()
            try:
                self._serve()
            finally:
                fake.in_flight.leave()

        do_GET = do_POST

        def _serve(self) -> None:
            url = urlsplit(self.path)
            request = RecordedRequest(
                method=self.command,
                path=url.path,
                query=parse_qs(url.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self._read_body(),
            )
            reply = fake._answer(request)
            if reply.delay_s:
                fake._stop.wait(reply.delay_s)
            if reply.reset:
                # Linger 0 makes close() send RST: the client sees "connection reset by peer".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return
            payload = reply.payload()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (timeout test): nothing to answer

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
