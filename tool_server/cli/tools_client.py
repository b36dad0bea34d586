"""How every CLI command reaches the tools: an in-process MCP client on the real server.

The CLI calls the tools by name through `mcp.Client(create_server(...))`, exactly as a coach's
MCP client would, so the command line and the tools can never disagree on validation, storage or
error texts. A tool that answers `isError` becomes `ToolFailed` (exit 1, the tool's message on
stderr); a tool this server does not have becomes `ToolMissing`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from tool_server.cli.wording import for_person

if TYPE_CHECKING:
    from mcp import Client
    from mcp.shared.dispatcher import ProgressFnT

    from tool_server.settings import Settings

T = TypeVar("T")
_ERROR_PREFIX = "Error executing tool "


class ToolFailed(Exception):
    """A tool answered isError; the message is the tool's own text."""


class ToolMissing(ToolFailed):
    """The server has no tool of that name (it is built on another branch, or was renamed)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"this server has no tool {name!r} (update coach-image-tools)")
        self.name = name


PENDING_POLL_S = 2.0
"""Seconds between get_run polls of a run that answered pending."""


@dataclass
class ToolSession:
    """A connected client plus the names of the tools the server offers."""

    client: Client
    tool_names: frozenset[str]

    def has(self, name: str) -> bool:
        return name in self.tool_names

    async def call(
        self, name: str, arguments: dict[str, Any] | None = None, progress: ProgressFnT | None = None
    ) -> dict[str, Any]:
        """Call a tool; arguments left as None are not sent. Returns the structured result."""
        if name not in self.tool_names:
            raise ToolMissing(name)
        sent = {key: value for key, value in (arguments or {}).items() if value is not None}
        result = await self.client.call_tool(name, sent, progress_callback=progress)
        if result.is_error:
            raise ToolFailed(_error_text(name, result.content))
        return dict(result.structured_content or {})

    async def call_run(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        progress: ProgressFnT | None = None,
        poll_s: float = PENDING_POLL_S,
    ) -> dict[str, Any]:
        """Call an image tool; while it answers `pending`, poll get_run. A run that did not finish raises."""
        import anyio

        result = await self.call(name, arguments, progress)
        while result.get("status") == "pending":
            await anyio.sleep(poll_s)
            polled = await self.call("get_run", {"run_id": result["run_id"]})
            result = polled.get(polled["kind"]) or polled  # the tool's own result, under its kind
        if result.get("status") != "done":
            raise ToolFailed(result.get("message") or f"run {result.get('run_id')} {result.get('status')}")
        return result

    async def read_json(self, uri: str) -> dict[str, Any]:
        """Read a JSON resource (e.g. coach://me/body_profile)."""
        result = await self.client.read_resource(uri)
        text = getattr(result.contents[0], "text", None)
        if text is None:
            raise ToolFailed(f"resource {uri} is not JSON text")
        return dict(json.loads(text))


def _error_text(name: str, content: list[Any]) -> str:
    text = " ".join(getattr(block, "text", "") for block in content).strip() or "the tool failed"
    prefix = f"{_ERROR_PREFIX}{name}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


@asynccontextmanager
async def tool_session(settings: Settings) -> AsyncIterator[ToolSession]:
    """Start the real server in-process (stdio transport rules) and connect a client to it."""
    from mcp import Client

    from tool_server.server import create_server

    if settings.log_level != "DEBUG":  # the CLI prints results itself; the server's INFO lines are noise
        settings = settings.model_copy(update={"log_level": "WARNING"})
    server = create_server(settings, "stdio")
    async with Client(server) as client:
        listed = await client.list_tools()
        yield ToolSession(client, frozenset(tool.name for tool in listed.tools))


def fresh_storage(out_dir: Path, option: str) -> Path:
    """`out_dir/data`, refusing one that already holds a run (its photos and identities would mix in)."""
    storage = out_dir / "data"
    if storage.is_dir() and any(storage.iterdir()):
        typer.echo(
            f"coach-image-tools: {storage} already holds an earlier run: pass a new {option} folder "
            "(or delete that one)",
            err=True,
        )
        raise typer.Exit(2)
    return storage


def run_tools(settings: Settings, work: Callable[[ToolSession], Awaitable[T]]) -> T:
    """Run `work` against a fresh tool session; a tool error exits 1 with its message on stderr."""
    import anyio

    async def main() -> T:
        async with tool_session(settings) as session:
            return await work(session)

    try:
        return anyio.run(main)
    except BaseException as exc:  # task groups may wrap the error; find ours inside
        failure = _find(exc, ToolFailed)
        if failure is not None:
            typer.echo(f"coach-image-tools: {for_person(str(failure))}", err=True)
            raise typer.Exit(1) from None
        exit_request = _find(exc, typer.Exit)
        if exit_request is not None and exit_request is not exc:
            raise exit_request from None
        raise


def _find(exc: BaseException, kind: type[Any]) -> Any:
    if isinstance(exc, kind):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _find(inner, kind)
            if found is not None:
                return found
    return None


def run_image_tool(
    settings: Settings,
    tool: str,
    arguments: dict[str, Any],
    *,
    bar: str,
    working: str,
    done: str,
    json_out: bool,
    show: Callable[[dict[str, Any]], None],
) -> None:
    """One image tool with a progress bar (pending runs followed), then its result as JSON or `show`."""
    from tool_server.cli.output import print_json, progress_bars

    async def work(session: ToolSession) -> dict[str, Any]:
        with progress_bars() as bars:
            task = bars.add(bar)
            result = await session.call_run(tool, arguments, bars.callback(task, working))
            bars.finish(task, done)
        return result

    result = run_tools(settings, work)
    if json_out:
        print_json(result)
    else:
        show(result)
