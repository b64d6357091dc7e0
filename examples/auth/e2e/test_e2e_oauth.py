"""End to end: a real IdP's tokens, the example under gunicorn, the official `mcp` client.

The authorization server is oidc-provider (`idp.mjs`), the resource server is the example
installed from this checkout running under gunicorn with several workers, and the MCP client is
the official `mcp` Python SDK (pinned). Nothing is mocked.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from authorization_server import AuthorizationServer, Tokens
from example_server import ExampleServer
from raw_mcp import PROTOCOL_VERSION, initialize, post_mcp, tool_call

WEATHER_TOOLS = {"get-weather", "get-forecast", "get-weather-alerts"}

T = TypeVar("T")


def _claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (only to check what the IdP issued)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def _auth_params(header: str) -> dict[str, str]:
    """The auth-params of a `Bearer` challenge (RFC 6750 §3), quoted strings unescaped."""
    assert header.startswith("Bearer "), header
    params = {}
    for match in re.finditer(r'([A-Za-z_]+)="((?:[^"\\]|\\.)*)"', header[len("Bearer ") :]):
        params[match[1]] = re.sub(r"\\(.)", r"\1", match[2])
    return params


class ResponseLog:
    """Records (method, status, headers) of every HTTP response the MCP client receives."""

    def __init__(self) -> None:
        self.responses: list[httpx.Response] = []

    async def __call__(self, response: httpx.Response) -> None:
        self.responses.append(response)


def _run_client(
    mcp_url: str, token: str | None, body: Callable[[ClientSession], Awaitable[T]]
) -> tuple[T, ResponseLog]:
    """Run `body` inside an initialized official-client session; return its result."""
    log = ResponseLog()

    async def main() -> T:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        http_client = httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(30.0), event_hooks={"response": [log]}
        )
        async with (
            http_client,
            streamable_http_client(mcp_url, http_client=http_client) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await body(session)

    return anyio.run(main), log


def _text_of(result: CallToolResult) -> str:
    texts = [block.text for block in result.content if isinstance(block, TextContent)]
    assert texts, f"no text content in {result}"
    return "\n".join(texts)


# --- the IdP really issues what the scenario needs ------------------------------------------


def test_idp_issues_jwt_access_tokens_for_the_mcp_resource(
    idp: AuthorizationServer, tokens: Tokens, mcp_url: str
) -> None:
    read = _claims(tokens.read)
    assert read["iss"] == idp.issuer
    assert read["aud"] == mcp_url
    assert read["scope"] == "mcp:read"
    assert _claims(tokens.read_admin)["scope"] == "mcp:read mcp:admin"
    assert "scope" not in _claims(tokens.no_scope)
    assert _claims(tokens.wrong_audience)["aud"] != mcp_url
    header = json.loads(base64.urlsafe_b64decode(tokens.read.split(".")[0] + "=="))
    assert header["alg"] == "RS256"
    assert header["typ"] == "at+jwt"


# --- discovery --------------------------------------------------------------------------------


def test_protected_resource_metadata_points_at_the_real_idp(
    example_server: ExampleServer, idp: AuthorizationServer
) -> None:
    response = httpx.get(example_server.resource_metadata_url, timeout=10.0)
    assert response.status_code == 200
    document = response.json()
    assert document["resource"] == example_server.mcp_url
    assert document["authorization_servers"] == [idp.issuer]
    assert document["bearer_methods_supported"] == ["header"]
    # mcp:admin is a step-up scope: not advertised, a 403 names it when a tool needs it.
    assert document["scopes_supported"] == ["mcp:read"]
    assert idp.client_secret not in response.text


def test_authorization_server_metadata_is_the_idps_own(
    example_server: ExampleServer, idp: AuthorizationServer
) -> None:
    response = httpx.get(
        f"{example_server.base_url}/.well-known/oauth-authorization-server", timeout=10.0
    )
    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == idp.issuer
    assert document["token_endpoint"] == idp.token_endpoint
    assert document["jwks_uri"] == idp.jwks_uri
    assert idp.client_secret not in response.text


# --- the official client with real tokens ---------------------------------------------------


def test_official_client_lists_tools_and_calls_weather_with_read_scope(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    async def body(session: ClientSession) -> tuple[set[str], CallToolResult, CallToolResult]:
        listed = await session.list_tools()
        weather = await session.call_tool("get-weather", {"city": "London"})
        forecast = await session.call_tool("get-forecast", {"city": "London", "days": 3})
        return {tool.name for tool in listed.tools}, weather, forecast

    (names, weather, forecast), log = _run_client(example_server.mcp_url, tokens.read, body)
    assert names >= WEATHER_TOOLS
    assert not weather.isError, weather
    assert "London" in _text_of(weather)
    assert not forecast.isError, forecast
    assert "London" in _text_of(forecast)
    assert forecast.structuredContent is not None
    assert len(forecast.structuredContent["days"]) == 3
    assert all(response.status_code in (200, 202, 405) for response in log.responses), [
        (response.request.method, response.status_code) for response in log.responses
    ]


def test_official_1x_client_still_negotiates_2025_11_25(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    """The server speaks 2026-07-28 too, but a 1.x client's initialize keeps 2025-11-25."""

    async def main() -> str:
        http_client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {tokens.read}"}, timeout=httpx.Timeout(30.0)
        )
        async with (
            http_client,
            streamable_http_client(example_server.mcp_url, http_client=http_client) as streams,
            ClientSession(streams[0], streams[1]) as session,
        ):
            return str((await session.initialize()).protocolVersion)

    assert anyio.run(main) == "2025-11-25"


def test_any_valid_token_may_call_get_weather(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    async def body(session: ClientSession) -> CallToolResult:
        return await session.call_tool("get-weather", {"city": "Paris"})

    weather, _ = _run_client(example_server.mcp_url, tokens.no_scope, body)
    assert not weather.isError, weather
    assert "Paris" in _text_of(weather)


def test_admin_scope_calls_weather_alerts(example_server: ExampleServer, tokens: Tokens) -> None:
    async def body(session: ClientSession) -> CallToolResult:
        return await session.call_tool("get-weather-alerts", {"region": "Europe"})

    alerts, _ = _run_client(example_server.mcp_url, tokens.read_admin, body)
    assert not alerts.isError, alerts
    assert _text_of(alerts)


def test_several_sessions_across_gunicorn_workers(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    async def body(session: ClientSession) -> list[bool]:
        results = []
        for city in ("Oslo", "Lima", "Pune", "Kyiv", "Rome", "Nice"):
            result = await session.call_tool("get-weather", {"city": city})
            results.append(not result.isError and city in _text_of(result))
        return results

    for _ in range(3):
        outcomes, _ = _run_client(example_server.mcp_url, tokens.read, body)
        assert all(outcomes), outcomes


# --- step-up: 403 insufficient_scope ---------------------------------------------------------


def _find_http_status_error(error: BaseException) -> httpx.HTTPStatusError | None:
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, httpx.HTTPStatusError):
            return current
        stack.extend(getattr(current, "exceptions", ()))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)
    return None


def _client_http_error(
    mcp_url: str, token: str | None, body: Callable[[ClientSession], Awaitable[object]]
) -> httpx.HTTPStatusError:
    """Run `body` with the official client, which must fail on an HTTP error status."""
    # The client wraps the HTTP error in exception groups, hence the broad type.
    with pytest.raises(Exception) as raised:  # noqa: PT011
        _run_client(mcp_url, token, body)
    http_error = _find_http_status_error(raised.value)
    assert http_error is not None, f"expected an HTTP status error, got {raised.value!r}"
    return http_error


def _assert_step_up(response: httpx.Response, example: ExampleServer, scope: str) -> None:
    assert response.status_code == 403, response.text
    challenge = response.headers["WWW-Authenticate"]
    params = _auth_params(challenge)
    assert params["error"] == "insufficient_scope", challenge
    assert scope in params["scope"].split(), challenge
    assert params["resource_metadata"] == example.resource_metadata_url, challenge


def test_official_client_gets_403_step_up_without_admin_scope(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    async def body(session: ClientSession) -> CallToolResult:
        return await session.call_tool("get-weather-alerts", {"region": "Europe"})

    http_error = _client_http_error(example_server.mcp_url, tokens.read, body)
    sent = json.loads(http_error.request.content)
    assert sent["method"] == "tools/call"
    assert sent["params"]["name"] == "get-weather-alerts"
    _assert_step_up(http_error.response, example_server, "mcp:admin")


def test_raw_http_403_step_up_without_admin_scope(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    response = post_mcp(
        example_server.mcp_url, tokens.read, tool_call("get-weather-alerts", {"region": "Europe"})
    )
    _assert_step_up(response, example_server, "mcp:admin")


def test_raw_http_403_step_up_for_forecast_without_read_scope(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    response = post_mcp(
        example_server.mcp_url, tokens.no_scope, tool_call("get-forecast", {"city": "Oslo"})
    )
    _assert_step_up(response, example_server, "mcp:read")


# --- 401s ---------------------------------------------------------------------------------------

INITIALIZE = initialize("e2e")


def test_no_token_gets_401_with_resource_metadata(example_server: ExampleServer) -> None:
    response = post_mcp(example_server.mcp_url, None, INITIALIZE)
    assert response.status_code == 401
    params = _auth_params(response.headers["WWW-Authenticate"])
    assert "error" not in params
    assert params["resource_metadata"] == example_server.resource_metadata_url
    metadata = httpx.get(params["resource_metadata"], timeout=10.0).json()
    assert metadata["resource"] == example_server.mcp_url


def test_official_client_without_token_sees_401(example_server: ExampleServer) -> None:
    async def body(session: ClientSession) -> None:
        return None

    http_error = _client_http_error(example_server.mcp_url, None, body)
    assert http_error.response.status_code == 401


def test_wrong_audience_token_gets_401_invalid_token(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    response = post_mcp(example_server.mcp_url, tokens.wrong_audience, INITIALIZE)
    assert response.status_code == 401
    params = _auth_params(response.headers["WWW-Authenticate"])
    assert params["error"] == "invalid_token"
    assert params["resource_metadata"] == example_server.resource_metadata_url


def test_tampered_idp_token_gets_401_invalid_token(
    example_server: ExampleServer, tokens: Tokens
) -> None:
    header, _payload, signature = tokens.read_admin.split(".")
    claims = _claims(tokens.read_admin)
    claims["scope"] = "mcp:read mcp:admin extra"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = post_mcp(example_server.mcp_url, f"{header}.{forged}.{signature}", INITIALIZE)
    assert response.status_code == 401
    assert _auth_params(response.headers["WWW-Authenticate"])["error"] == "invalid_token"


def test_token_in_query_string_is_ignored(example_server: ExampleServer, tokens: Tokens) -> None:
    response = httpx.post(
        example_server.mcp_url,
        params={"access_token": tokens.read_admin},
        headers={
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": PROTOCOL_VERSION,
        },
        json=INITIALIZE,
        timeout=10.0,
    )
    assert response.status_code == 401
    assert "error" not in _auth_params(response.headers["WWW-Authenticate"])
