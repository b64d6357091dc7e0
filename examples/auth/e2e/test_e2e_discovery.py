"""End to end, the client's whole OAuth side: discovery, token, step-up — no token handed in.

The official `mcp` client's `ClientCredentialsOAuthProvider` gets nothing but the IdP's issuer
and its client credentials. From the example's 401 it must find the RFC 9728 metadata, the
authorization server's metadata at the real IdP, request a token for the MCP resource (RFC 8707)
and retry; from a 403 `insufficient_scope` it must re-authorize with the named scope and retry.
Every HTTP exchange is recorded and checked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from mcp import ClientSession
from mcp.shared.auth import OAuthToken
from mcp.types import CallToolResult

from authorization_server import AuthorizationServer
from example_server import ExampleServer
from interactive_client import Exchange, MemoryTokenStorage, run_client_credentials

T = TypeVar("T")


def _run(
    example: ExampleServer,
    idp: AuthorizationServer,
    storage: MemoryTokenStorage,
    body: Callable[[ClientSession], Awaitable[T]],
) -> tuple[T, Exchange]:
    return run_client_credentials(
        example.mcp_url,
        body,
        issuer=idp.issuer,
        client_id=idp.client_id,
        client_secret=idp.client_secret,
        storage=storage,
    )


def test_client_discovers_the_idp_from_the_401_and_gets_a_token_for_the_mcp_resource(
    example_server: ExampleServer, idp: AuthorizationServer
) -> None:
    async def body(session: ClientSession) -> tuple[CallToolResult, CallToolResult]:
        weather = await session.call_tool("get-weather", {"city": "Quito"})
        alerts = await session.call_tool("get-weather-alerts", {"region": "Andes"})
        return weather, alerts

    storage = MemoryTokenStorage()
    (weather, alerts), exchange = _run(example_server, idp, storage, body)
    assert not weather.isError, weather
    assert not alerts.isError, alerts

    first = exchange.log[0]
    assert str(first.request.url) == example_server.mcp_url
    assert first.status_code == 401
    urls = [str(response.request.url) for response in exchange.log]
    assert example_server.resource_metadata_url in urls
    token_requests = exchange.forms_to(idp.token_endpoint)
    assert len(token_requests) == 2, token_requests
    for request in token_requests:
        assert request["grant_type"] == ["client_credentials"]
        assert request["resource"] == [example_server.mcp_url]
    # Least privilege: the 401 (initialize) named no scope, so the client asked for the
    # advertised scopes_supported, which leave out the step-up scope mcp:admin ...
    assert token_requests[0]["scope"] == ["mcp:read"]
    # ... which it got only from the 403 of get-weather-alerts, keeping what it had.
    assert token_requests[1]["scope"] == ["mcp:read mcp:admin"]
    assert storage.tokens is not None
    assert example_server.base_url not in idp.token_endpoint  # the token came from the IdP


def test_client_steps_up_on_403_insufficient_scope(
    example_server: ExampleServer, idp: AuthorizationServer
) -> None:
    read_only = idp.token("mcp:read", resource=example_server.mcp_url)
    storage = MemoryTokenStorage(OAuthToken(access_token=read_only, scope="mcp:read"))

    async def body(session: ClientSession) -> tuple[CallToolResult, CallToolResult]:
        forecast = await session.call_tool("get-forecast", {"city": "Quito", "days": 2})
        alerts = await session.call_tool("get-weather-alerts", {"region": "Andes"})
        return forecast, alerts

    (forecast, alerts), exchange = _run(example_server, idp, storage, body)
    assert not forecast.isError, forecast
    assert not alerts.isError, alerts

    statuses = [response.status_code for response in exchange.log]
    assert 401 not in statuses, "the stored mcp:read token should have been accepted"
    step_ups = [response for response in exchange.log if response.status_code == 403]
    assert len(step_ups) == 1, statuses
    assert 'error="insufficient_scope"' in step_ups[0].headers["WWW-Authenticate"]
    token_requests = exchange.forms_to(idp.token_endpoint)
    assert len(token_requests) == 1, token_requests
    assert token_requests[0]["scope"] == ["mcp:read mcp:admin"]  # granted + missing
    assert token_requests[0]["resource"] == [example_server.mcp_url]
    assert storage.tokens is not None
    assert storage.tokens.access_token != read_only
