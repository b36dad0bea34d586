"""Start the face workers in the background once a client has connected, not on the first image.

Each face worker process loads dlib's models when it starts (about 1.5 s on the 2-core reference
machine), which the first generation used to wait for. Spawning them competes for the CPU with
answering the host, so the warm-up starts only after the handshake is answered and the client has
listed the tools (or `GRACE_S` later, for a client that does not list), and `SETTLE_S` after that:
a process that only lists the tools and exits (a host probing servers, the cold-start benchmark)
never starts workers it would have to wait for at exit. It runs in a thread of its own: the event
loop never waits for it, and a failure only means the first image starts them as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer

from tool_server.app import AppContext

logger = logging.getLogger(__name__)

GRACE_S = 1.0
SETTLE_S = 0.5
HANDSHAKES = ("initialize", "server/discover")


class WarmAfterHandshake:
    """Server middleware that runs `warm` once, in a daemon thread, after the first handshake."""

    def __init__(
        self, warm: Callable[[], None], grace_s: float = GRACE_S, settle_s: float = SETTLE_S
    ) -> None:
        self._warm = warm
        self._grace_s = grace_s
        self._settle_s = settle_s
        self._listed = threading.Event()
        self._started = False

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method == "tools/list":
            self._listed.set()
        if not self._started and ctx.method in (*HANDSHAKES, "tools/list"):
            self._started = True
            threading.Thread(target=self._run, name="warm-face-workers", daemon=True).start()
        return result

    def _run(self) -> None:
        self._listed.wait(self._grace_s)
        time.sleep(self._settle_s)  # a daemon thread: a process that exits meanwhile just stops here
        try:
            self._warm()
        except Exception:
            logger.warning("face workers did not start ahead; the first image starts them", exc_info=True)


def register(server: MCPServer[Any], app: AppContext) -> None:
    if not app.settings.warm_face_workers:
        return

    def warm() -> None:
        from tool_server.faces.workers import start_workers  # dlib and friends load in the workers

        start_workers(app.faces.config, app.settings.face_processes)

    server.middleware.append(WarmAfterHandshake(warm))
