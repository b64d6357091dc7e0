"""The official `mcp` 2.x client against the example (auth on): it speaks MCP 2026-07-28.

Run in its own environment (`tox -e e2e-mcp2`, `requirements-e2e-mcp2.txt`: `mcp` 2.x does not
install beside the 1.x client of the other e2e tests), with the same fixtures (`conftest.py`: the
real oidc-provider IdP, the example under gunicorn, real tokens):

    pytest examples/auth/e2e/mcp2_client.py

The file is not named `test_*.py`, so the 1.x environment does not collect it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from authorization_server import Tokens
from example_server import ExampleServer

T = TypeVar("T")
MODERN = "2026-07-28"


def _run(
    mcp_url: str,
    token: str,
    body: Callable[[Client], Awaitable[T]],
    seen: list[httpx2.Response] | None = None,
) -> tuple[str, T]:
    """Run `body` with a connected 2.x client; return the negotiated version and its result.

    Every HTTP response the client receives is appended to `seen`.
    """

    async def record(response: httpx2.Response) -> None:
        if seen is not None:
            seen.append(response)

    async def main() -> tuple[str, T]:
        http_client = httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx2.Timeout(30.0),
            event_hooks={"response": [record]},
        )
        async with (
            http_client,
            Client(streamable_http_client(mcp_url, http_client=http_client)) as client,
        ):
            return client.protocol_version, await body(client)

    return anyio.run(main)


def test_mcp2_client_negotiates_2026_07_28_and_calls_tools(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    """The 2.x client negotiates 2026-07-28, lists the tools and calls one with mcp:read."""

    async def body(client: Client) -> tuple[set[str], CallToolResult]:
        listed = await client.list_tools()
        weather = await client.call_tool("get-weather", {"city": "London"})
        return {tool.name for tool in listed.tools}, weather

    version, (names, weather) = _run(example_server.mcp_url, tokens.read, body)
    assert version == MODERN
    assert {"get-weather", "get-forecast", "get-weather-alerts"} <= names
    assert not weather.is_error, weather
    texts = [block.text for block in weather.content if isinstance(block, TextContent)]
    assert any("London" in text for text in texts), weather


def test_mcp2_client_gets_403_step_up_for_alerts(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    """get-weather-alerts needs mcp:admin: 403 (decided from the routing headers) without it."""

    async def body(client: Client) -> CallToolResult:
        return await client.call_tool("get-weather-alerts", {"region": "Europe"})

    seen: list[httpx2.Response] = []
    # mcp 2.3 reports the refusal as a JSON-RPC error; the HTTP exchange shows the 403
    with pytest.raises(Exception):  # noqa: B017, PT011 - the client wraps the HTTP error
        _run(example_server.mcp_url, tokens.read, body, seen)
    refused = [r for r in seen if r.status_code == 403]
    assert refused, [(r.request.headers.get("mcp-method"), r.status_code) for r in seen]
    challenge = refused[0].headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge, challenge
    assert "mcp:admin" in challenge, challenge
    assert refused[0].request.headers["Mcp-Name"] == "get-weather-alerts"
    assert refused[0].request.headers["MCP-Protocol-Version"] == MODERN

    version, alerts = _run(example_server.mcp_url, tokens.read_admin, body)
    assert version == MODERN
    assert not alerts.is_error, alerts
