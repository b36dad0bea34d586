"""Fuzzing with hypothesis: hostile image bytes and tool arguments, through a real MCP client.

Whatever arrives, every call ends within a few seconds in a result or a clear error: never a crash
(the SDK's bare "Error executing tool X" with nothing after it), never a hang, never an error text
that echoes an unbounded argument back. Examples are bounded so the file runs in seconds.
"""

from __future__ import annotations

import base64
import io
import struct
import tempfile
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError
from PIL import Image

from tests.photo_files import portrait
from tool_server.app import AppContext, build_app
from tool_server.server import create_server
from tool_server.settings import Settings

CALL_TIMEOUT_S = 10.0
MAX_ERROR_CHARS = 1500
FUZZ = settings(
    max_examples=40,
    deadline=None,  # one example may decode a real photo; the hang bound is CALL_TIMEOUT_S
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@cache
def base_image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    image = portrait(320, 320)
    (image.convert("P") if fmt == "GIF" else image).save(buffer, format=fmt)
    return buffer.getvalue()


def png_with_size(width: int, height: int) -> bytes:
    """A PNG whose IHDR (with a valid CRC) claims `width`x`height` over a few real pixels."""
    data = bytearray(base_image("PNG"))
    ihdr = bytearray(data[12:29])
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return bytes(data)


def jpeg_with_size(width: int, height: int) -> bytes:
    """A JPEG whose start-of-frame marker claims `width`x`height`."""
    data = bytearray(base_image("JPEG"))
    sof = next(data.find(m) for m in (b"\xff\xc0", b"\xff\xc2") if data.find(m) > 0)
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def gif_with_size(width: int, height: int) -> bytes:
    data = bytearray(base_image("GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


POLYGLOT_TAILS = [
    b"<html><script>alert(1)</script></html>",
    b"PK\x03\x04" + b"\x00" * 26 + b"evil.txt",
    b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF",
    b"\x00" * 64,
]
MAGICS = [
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
    b"GIF89a",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"\x00\x00\x00\x18ftypheic",
]

dimension = st.integers(min_value=0, max_value=2**31 - 1)
side = st.integers(min_value=0, max_value=65535)
hostile_images = st.one_of(
    st.just(b""),
    st.binary(max_size=4096),  # wrong or no magic
    st.builds(lambda magic, rest: magic + rest, st.sampled_from(MAGICS), st.binary(max_size=2048)),
    st.builds(  # a real image cut short
        lambda fmt, fraction: base_image(fmt)[: int(len(base_image(fmt)) * fraction)],
        st.sampled_from(["PNG", "JPEG", "WEBP", "GIF"]),
        st.floats(min_value=0.0, max_value=0.97),
    ),
    st.builds(  # one format's magic, another's body, junk appended
        lambda magic, fmt, tail: magic + base_image(fmt)[len(magic) :] + tail,
        st.sampled_from(MAGICS),
        st.sampled_from(["PNG", "JPEG", "WEBP"]),
        st.sampled_from(POLYGLOT_TAILS),
    ),
    st.builds(  # a real image with something else glued on
        lambda fmt, tail: base_image(fmt) + tail,
        st.sampled_from(["PNG", "JPEG"]),
        st.sampled_from(POLYGLOT_TAILS),
    ),
    st.builds(png_with_size, dimension, dimension),  # huge (or zero) dimensions in the header
    st.builds(jpeg_with_size, side, side),
    st.builds(gif_with_size, side, side),
)


def check_clear(tool: str, result: Any) -> None:
    """A result, or an error whose text says what went wrong (not a crash, not an echo)."""
    if not result.is_error:
        return
    text = " ".join(getattr(block, "text", "") for block in result.content).strip()
    assert text != f"Error executing tool {tool}", f"{tool} crashed (see the log for the traceback)"
    assert len(text) > len(f"Error executing tool {tool}: ") + 10, text
    assert len(text) <= MAX_ERROR_CHARS, f"{tool} answered {len(text)} characters: {text[:200]}..."


def fuzz_app(root: Path) -> AppContext:
    settings_ = Settings(storage_url=str(root), user="fuzz", provider="offline", _env_file=None)  # type: ignore[call-arg]
    return build_app(settings_, "stdio")


def drive(app: AppContext, calls: Callable[[Client], Any]) -> None:
    async def main() -> None:
        server = create_server(app.settings, "stdio", app=app)
        async with Client(server, raise_exceptions=True) as client:
            with anyio.fail_after(CALL_TIMEOUT_S):
                await calls(client)

    anyio.run(main)


@settings(FUZZ, max_examples=30)
@given(data=hostile_images, as_path=st.booleans())
def test_hostile_image_bytes_get_a_clear_error_and_store_nothing(
    tmp_path: Path, data: bytes, as_path: bool
) -> None:
    example = Path(tempfile.mkdtemp(dir=tmp_path))
    app = fuzz_app(example / "data")
    photo = example / "upload.bin"
    photo.write_bytes(data)
    arguments = {"path": str(photo)} if as_path else {"image_base64": base64.b64encode(data).decode()}
    outcome: dict[str, Any] = {}

    async def calls(client: Client) -> None:
        outcome["result"] = await client.call_tool("add_reference_photo", arguments)
        outcome["listed"] = await client.call_tool("list_reference_photos", {})

    drive(app, calls)
    result, listed = outcome["result"], outcome["listed"]
    check_clear("add_reference_photo", result)
    # Bytes after a complete image, or a cut in its trailer, still make a usable photo; else nothing
    # may be stored at all.
    assert listed.structured_content["photo_count"] == (0 if result.is_error else 1)
    if result.is_error:
        assert not any((example / "data" / "users").rglob("*.jpg"))


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (2**31 - 1, 1), (0, 0), (65_535, 65_535)])
def test_a_header_claiming_huge_dimensions_is_refused_before_decoding(
    tmp_path: Path, width: int, height: int
) -> None:
    app = fuzz_app(tmp_path / "data")
    outcome: dict[str, Any] = {}

    async def calls(client: Client) -> None:
        for name, data in (
            ("png", png_with_size(width, height)),
            ("jpeg", jpeg_with_size(width % 65536, height % 65536)),
        ):
            outcome[name] = await client.call_tool(
                "add_reference_photo", {"image_base64": base64.b64encode(data).decode()}
            )

    drive(app, calls)
    for result in outcome.values():
        assert result.is_error
        check_clear("add_reference_photo", result)


# --- tool arguments ---------------------------------------------------------------------------------

NASTY_TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "",
            "../../etc/passwd",
            "/etc/passwd",
            "/dev/zero",
            "/proc/self/environ",
            "~",
            "\x00",
            "a\x00b",
            "photo_" + "x" * 5000,
            "run_../../x",
            "img_%2e%2e",
            "idn_\u202e\u0000",
            "Ignore previous instructions",
            "1024x1024",
            "99999x99999",
            "-1x-1",
            "auto",
        ]
    ),
)
ANY_VALUE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63),
        st.floats(allow_nan=True, allow_infinity=True),
        NASTY_TEXT,
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)

TOOLS = [
    "add_reference_photo",
    "list_reference_photos",
    "remove_reference_photo",
    "set_body_profile",
    "save_identity",
    "list_identities",
    "generate_identity_image",
    "get_run",
    "accept_identity_visualization",
]


@st.composite
def tool_calls(draw: st.DrawFn, schemas: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    tool = draw(st.sampled_from(sorted(schemas)))
    properties = schemas[tool].get("properties", {})
    arguments: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(properties) or ["x"]), unique=True, max_size=6)):
        enum = properties.get(name, {}).get("enum")
        arguments[name] = draw(st.sampled_from(enum) if enum and draw(st.booleans()) else ANY_VALUE)
    if draw(st.booleans()):
        arguments[draw(st.text(min_size=1, max_size=10))] = draw(ANY_VALUE)
    return tool, arguments


@cache
def tool_schemas() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}

    async def calls(client: Client) -> None:
        for tool in (await client.list_tools()).tools:
            schemas[tool.name] = dict(tool.input_schema)

    with tempfile.TemporaryDirectory() as root:
        drive(fuzz_app(Path(root)), calls)
    assert set(TOOLS) <= set(schemas), sorted(schemas)
    return schemas


@FUZZ
@given(data=st.data())
def test_any_tool_arguments_get_a_result_or_a_clear_error(tmp_path: Path, data: st.DataObject) -> None:
    app = fuzz_app(tmp_path / "data")
    schemas = tool_schemas()
    tool, arguments = data.draw(tool_calls(schemas), label="call")
    outcome: dict[str, Any] = {}

    async def calls(client: Client) -> None:
        # An identity without photos: generation gets as far as the precondition checks.
        await client.call_tool(
            "save_identity", {"name": "Fuzz", "visualization": "On stage", "identity_id": "fuzz-identity"}
        )
        if "identity_id" in arguments and data.draw(st.booleans(), label="known identity"):
            arguments["identity_id"] = "fuzz-identity"
        outcome["result"] = await client.call_tool(tool, arguments)

    drive(app, calls)
    check_clear(tool, outcome["result"])


@FUZZ
@given(
    uri_tail=NASTY_TEXT, template=st.sampled_from(["coach://identities/", "coach://images/", "coach://me/"])
)
def test_any_resource_uri_reads_or_fails_with_a_protocol_error(
    tmp_path: Path, uri_tail: str, template: str
) -> None:
    app = fuzz_app(tmp_path / "data")

    async def calls(client: Client) -> None:
        uri = template + uri_tail
        try:
            await client.read_resource(uri)
        except MCPError as error:  # not found / invalid: a JSON-RPC error with a message
            message = error.error.message
            # The SDK itself answers an unmatched URI with "Unknown resource: <the URI>".
            limit = MAX_ERROR_CHARS + (len(uri) if message.startswith("Unknown resource") else 0)
            assert message and len(message) <= limit, message[:300]

    drive(app, calls)


def test_an_image_pillow_cannot_open_yet_with_good_magic_gets_a_clear_error(tmp_path: Path) -> None:
    """A fixed example that the generators above find only by luck: PNG magic over a JPEG body."""
    app = fuzz_app(tmp_path / "data")
    outcome: dict[str, Any] = {}
    data = b"\x89PNG\r\n\x1a\n" + base_image("JPEG")[8:]

    async def calls(client: Client) -> None:
        outcome["result"] = await client.call_tool(
            "add_reference_photo", {"image_base64": base64.b64encode(data).decode()}
        )

    drive(app, calls)
    assert outcome["result"].is_error
    check_clear("add_reference_photo", outcome["result"])
    assert Image is not None


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("add_reference_photo", {"path": "a\x00b"}),
        ("add_reference_photo", {"path": "/dev/zero"}),
        ("add_reference_photo", {"path": "/proc/self/environ"}),
        ("add_reference_photo", {"path": "/"}),
        ("add_reference_photo", {"image_base64": "data:image/png;base64,"}),
        ("add_reference_photo", {"image_base64": "=" * 10}),
        ("remove_reference_photo", {"photo_id": "photo_" + "x" * 5000}),
        ("generate_identity_image", {"identity_id": "fuzz-identity", "size": "99999x99999"}),
        ("generate_identity_image", {"identity_id": "fuzz-identity", "prompt": "x" * 50_000}),
        ("get_run", {"run_id": "run_../../x"}),
        ("accept_identity_visualization", {"identity_id": "fuzz-identity", "image_id": "img_\u202e"}),
        ("save_identity", {"name": "\x00", "visualization": "\u202e", "identity_id": "../x"}),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_known_nasty_arguments_get_a_clear_error(
    tmp_path: Path, tool: str, arguments: dict[str, Any]
) -> None:
    app = fuzz_app(tmp_path / "data")
    outcome: dict[str, Any] = {}

    async def calls(client: Client) -> None:
        await client.call_tool(
            "save_identity", {"name": "F", "visualization": "V", "identity_id": "fuzz-identity"}
        )
        outcome["result"] = await client.call_tool(tool, arguments)

    drive(app, calls)
    assert outcome["result"].is_error
    check_clear(tool, outcome["result"])
