"""Traffic beyond tool calls is bounded: all MCP requests per user, anonymous requests per address,
and slow clients (slowloris) lose their sockets."""

from __future__ import annotations

import anyio
import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from tests.security.conftest import ServeFor, mcp_client, mint


async def test_a_user_past_the_protocol_limit_can_no_longer_list_tools_get_prompts_or_open_sessions(
    serve: ServeFor,
) -> None:
    with serve(protocol_rate_limit="6/minute") as server:
        refusals: list[str] = []
        async with mcp_client(server, mint("lee"), mode="legacy") as client:
            for _ in range(8):
                for call in (client.list_tools, lambda: client.get_prompt("identity_visualization")):
                    try:
                        await call()
                    except MCPError as exc:
                        refusals.append(str(exc))
        with pytest.raises(BaseExceptionGroup) as opening:  # the client's task groups wrap the refusal
            async with mcp_client(server, mint("lee"), mode="legacy") as client:
                await client.list_tools()
        async with mcp_client(server, mint("max"), mode="legacy") as other:
            unaffected = await other.list_tools()

    assert len(refusals) == 16 - 5  # initialize took one of the six
    assert all("limit is 6/minute" in r and "all MCP requests" in r for r in refusals), refusals[0]
    assert opening.group_contains(MCPError, match="limit is 6/minute", depth=None)
    assert unaffected.tools


async def test_unauthenticated_requests_are_limited_per_client_address(serve: ServeFor) -> None:
    with serve(anonymous_rate_limit="4/minute") as server:
        async with httpx2.AsyncClient() as http:
            anonymous = [(await http.get(server.mcp_url)).status_code for _ in range(3)]
            bad_token = await http.post(server.mcp_url, headers={"Authorization": "Bearer forged"}, json={})
            refused = await http.get(server.mcp_url)
            refused_bearer = await http.post(
                server.mcp_url, headers={"Authorization": "Bearer forged"}, json={}
            )

    assert anonymous == [401, 401, 401] and bad_token.status_code == 401
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "this client address" in refused.json()["error"]
    assert refused_bearer.status_code == 429


async def test_a_slowloris_client_sending_headers_slowly_is_disconnected(serve: ServeFor) -> None:
    with serve(http_header_timeout_s=1.0) as server:
        port = int(server.url.rsplit(":", 1)[1])
        stream = await anyio.connect_tcp("127.0.0.1", port)
        sent = 0

        async def dribble() -> None:
            nonlocal sent
            await stream.send(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while True:  # one header line every 0.2 s: never a complete request head
                await anyio.sleep(0.2)
                await stream.send(b"X-Slow: 1\r\n")
                sent += 1

        with anyio.fail_after(20):  # bound: without a header deadline the socket stays open for ever
            async with anyio.create_task_group() as group:
                group.start_soon(dribble)
                try:
                    answer = await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionResetError):
                    answer = b""
                group.cancel_scope.cancel()
        await stream.aclose()

    assert answer == b"" and sent >= 2
