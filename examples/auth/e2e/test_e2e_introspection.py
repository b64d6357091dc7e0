"""End to end with opaque access tokens: oidc-provider issues opaque tokens (introspection and
revocation on), the example runs under gunicorn in introspection mode, the official `mcp` client
lists and calls tools. A revoked token is refused once its cached answer ends
(`introspection_cache_ttl`); with the IdP stopped, a token whose answer is cached keeps working
and an uncached one gets 503.

One gunicorn worker: the introspection cache is per process, and the outage scenario needs the
request with the cached token to reach the process that cached it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from authorization_server import AuthorizationServer, start_authorization_server
from example_server import ExampleServer, start_example_server
from managed_process import free_port, stop_and_verify
from node_toolchain import NodeToolchain
from raw_mcp import initialize, post_mcp

CACHE_TTL_S = 6


@pytest.fixture(scope="module")
def opaque_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def opaque_idp(
    node_toolchain: NodeToolchain, opaque_port: int, log_dir: Path
) -> Iterator[AuthorizationServer]:
    server = start_authorization_server(
        node_toolchain,
        default_resource=f"http://127.0.0.1:{opaque_port}/mcp",
        log_dir=log_dir,
        opaque=True,
    )
    yield server
    if server.process.alive():
        stop_and_verify(server.process)


@pytest.fixture(scope="module")
def opaque_server(
    opaque_idp: AuthorizationServer, opaque_port: int, log_dir: Path
) -> Iterator[ExampleServer]:
    server = start_example_server(
        opaque_idp,
        port=opaque_port,
        log_dir=log_dir,
        workers=1,
        config_name="server-introspection.config",
        extra_config=(
            f"introspection_endpoint={opaque_idp.introspection_endpoint}",
            f"introspection_client_id={opaque_idp.rs_client_id}",
            f"introspection_client_secret={opaque_idp.rs_client_secret}",
            "introspection_mode=opaque",
            f"introspection_cache_ttl={CACHE_TTL_S}",
        ),
    )
    yield server
    stop_and_verify(server.process)


def _post(server: ExampleServer, token: str) -> httpx.Response:
    return post_mcp(server.mcp_url, token, initialize("e2e-introspection"))


def test_official_client_with_an_opaque_token(
    opaque_server: ExampleServer, opaque_idp: AuthorizationServer
) -> None:
    token = opaque_idp.token("mcp:read", resource=opaque_server.mcp_url)

    async def main() -> tuple[set[str], CallToolResult]:
        http_client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, timeout=httpx.Timeout(30.0)
        )
        async with (
            http_client,
            streamable_http_client(opaque_server.mcp_url, http_client=http_client) as (r, w, _),
            ClientSession(r, w) as session,
        ):
            await session.initialize()
            tools = {tool.name for tool in (await session.list_tools()).tools}
            result = await session.call_tool("get-forecast", {"city": "Berlin"})
            return tools, result

    tools, result = anyio.run(main)
    assert {"get-weather", "get-forecast", "get-weather-alerts"} <= tools
    assert not result.isError, result
    assert any(isinstance(block, TextContent) for block in result.content)


def test_a_revoked_token_is_refused_within_the_cache_ttl(
    opaque_server: ExampleServer, opaque_idp: AuthorizationServer
) -> None:
    token = opaque_idp.token("mcp:read", resource=opaque_server.mcp_url)
    assert _post(opaque_server, token).status_code == 200
    opaque_idp.revoke(token)
    revoked_at = time.monotonic()
    # Refused at the latest when the cached answer ends (plus the engine's whole-second clock
    # and a request's time); polled, so a fast refusal passes at once.
    deadline = revoked_at + CACHE_TTL_S + 3
    status = 200
    while time.monotonic() < deadline:
        status = _post(opaque_server, token).status_code
        if status == 401:
            break
        time.sleep(0.25)
    assert status == 401, "a revoked token still accepted after the cache TTL"


def test_idp_down_cached_tokens_work_uncached_get_503(
    opaque_server: ExampleServer, opaque_idp: AuthorizationServer
) -> None:
    cached = opaque_idp.token("mcp:read", resource=opaque_server.mcp_url)
    uncached = opaque_idp.token("mcp:read", resource=opaque_server.mcp_url)
    assert _post(opaque_server, cached).status_code == 200
    opaque_idp.process.stop()  # at once: the cached answer must outlive the outage check
    assert _post(opaque_server, cached).status_code == 200
    refused = _post(opaque_server, uncached)
    assert refused.status_code == 503
    assert refused.headers.get("Retry-After")
    assert opaque_idp.rs_client_secret not in refused.text
