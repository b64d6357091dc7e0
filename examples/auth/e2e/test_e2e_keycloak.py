"""End to end against a second real authorization server: Keycloak, with the `keycloak` preset.

Keycloak (`keycloak_server.py`: the Maven Central distribution, development mode, in-memory
database, on loopback) issues the tokens; the example runs under gunicorn configured only with
`provider = keycloak`, the realm URL and the audience, as docs/identity-providers.md tells users
to. The official `mcp` client finds Keycloak from the example's 401 and gets its own tokens. Every
kind of token Keycloak hands out is presented: service-account and user access tokens (accepted),
the ID token, the refresh token and a token without the audience mapper (401), a token lacking
a scope (403), and the other real IdP's token (401).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.types import CallToolResult

from authorization_server import AuthorizationServer
from example_server import ExampleServer, start_gunicorn
from interactive_client import MemoryTokenStorage, run_client_credentials
from keycloak_server import Keycloak, start_keycloak
from managed_process import free_port, stop_and_verify
from raw_mcp import post_mcp, tool_call

PROTOCOL_VERSION = "2025-11-25"


@pytest.fixture(scope="module")
def keycloak_example_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def keycloak(keycloak_example_url: str, log_dir: Path) -> Iterator[Keycloak]:
    server = start_keycloak(resource=f"{keycloak_example_url}/mcp", log_dir=log_dir)
    yield server
    stop_and_verify(server.process, settle_s=15.0)


@pytest.fixture(scope="module")
def example(
    keycloak: Keycloak, keycloak_example_url: str, log_dir: Path
) -> Iterator[ExampleServer]:
    """The example trusting Keycloak through the preset: no issuer, JWKS or claim keys given."""
    port = int(keycloak_example_url.rsplit(":", 1)[1])
    config = log_dir / "keycloak-server.config"
    config.write_text(
        "\n".join(
            [
                "# written by examples/auth/e2e/test_e2e_keycloak.py",
                "host=127.0.0.1",
                f"port={port}",
                f"server_url={keycloak_example_url}",
                f"auth_server_url={keycloak.issuer}",
                "provider=keycloak",
                f"provider.realm_url={keycloak.issuer}",
                f"provider.audience={keycloak.resource}",
                "allowed_scopes=mcp:read mcp:admin",
                "request_timeout=10",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    process = start_gunicorn(config, port=port, log_dir=log_dir / "keycloak-example")
    yield ExampleServer(process, keycloak_example_url, keycloak.resource, config)
    stop_and_verify(process)


def _part(token: str, index: int) -> dict[str, Any]:
    """A JWT's header (0) or payload (1), unverified: only to check what Keycloak issued."""
    segment = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


def _call(
    example: ExampleServer, token: str, tool: str, arguments: dict[str, Any]
) -> httpx.Response:
    """One stateless tools/call, as raw HTTP (the example needs no session for it)."""
    return post_mcp(
        example.mcp_url, token, tool_call(tool, arguments), protocol_version=PROTOCOL_VERSION
    )


def _challenge(response: httpx.Response) -> str:
    header = str(response.headers.get("WWW-Authenticate", ""))
    assert header.startswith("Bearer "), (response.status_code, header, response.text[:200])
    return header


def test_keycloak_issues_the_shapes_the_preset_expects(keycloak: Keycloak) -> None:
    token = keycloak.service_token("mcp:read")
    header, claims = _part(token, 0), _part(token, 1)
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"  # Keycloak does not use at+jwt; the payload says typ Bearer
    assert claims["typ"] == "Bearer"
    assert claims["iss"] == keycloak.issuer
    assert keycloak.resource in claims["aud"]  # the Audience mapper, beside Keycloak's "account"
    assert sorted(claims["scope"].split()) == ["mcp:read", "profile"]  # order varies
    assert "realm_access" in claims
    assert claims["azp"] == claims["client_id"] == keycloak.client_id
    users = keycloak.user_tokens("openid mcp:read")
    assert _part(users["id_token"], 1)["typ"] == "ID"
    assert _part(users["refresh_token"], 1)["typ"] == "Refresh"


def test_protected_resource_metadata_names_keycloak(
    example: ExampleServer, keycloak: Keycloak
) -> None:
    response = httpx.get(example.resource_metadata_url, timeout=10.0)
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["resource"] == example.mcp_url
    assert document["authorization_servers"] == [keycloak.issuer]


def test_official_client_discovers_keycloak_gets_tokens_and_steps_up(
    example: ExampleServer, keycloak: Keycloak
) -> None:
    async def body(session: ClientSession) -> tuple[set[str], CallToolResult, CallToolResult]:
        listed = await session.list_tools()
        weather = await session.call_tool("get-weather", {"city": "Oslo"})
        alerts = await session.call_tool("get-weather-alerts", {"region": "Nordics"})
        return {tool.name for tool in listed.tools}, weather, alerts

    storage = MemoryTokenStorage()
    (names, weather, alerts), exchange = run_client_credentials(
        example.mcp_url,
        body,
        issuer=keycloak.issuer,
        client_id=keycloak.client_id,
        client_secret=keycloak.client_secret,
        storage=storage,
    )
    assert {"get-weather", "get-weather-alerts"} <= names
    assert not weather.isError, weather
    assert not alerts.isError, alerts
    assert exchange.log[0].status_code == 401
    token_requests = exchange.forms_to(keycloak.token_endpoint)
    assert [form["scope"] for form in token_requests] == [["mcp:read"], ["mcp:read mcp:admin"]]
    assert 403 in exchange.statuses(example.mcp_url)  # the step-up that led to the second token
    assert storage.tokens is not None
    assert "mcp:admin" in _part(storage.tokens.access_token, 1)["scope"].split()


def test_user_access_token_is_accepted(example: ExampleServer, keycloak: Keycloak) -> None:
    access = keycloak.user_tokens("openid mcp:read mcp:admin")["access_token"]
    response = _call(example, access, "get-weather-alerts", {"region": "Alps"})
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert not result.get("isError"), result
    assert result["structuredContent"]["region"] == "Alps"


@pytest.mark.parametrize("kind", ["id_token", "refresh_token"])
def test_id_and_refresh_tokens_are_refused(
    example: ExampleServer, keycloak: Keycloak, kind: str
) -> None:
    token = keycloak.user_tokens("openid mcp:read mcp:admin")[kind]
    response = _call(example, token, "get-weather", {"city": "Oslo"})
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in _challenge(response)


def test_token_without_the_audience_mapper_is_refused(
    example: ExampleServer, keycloak: Keycloak
) -> None:
    token = keycloak.service_token("mcp:read", client_id=keycloak.plain_client_id)
    assert _part(token, 1)["aud"] == "account"  # what Keycloak puts there without the mapper
    response = _call(example, token, "get-weather", {"city": "Oslo"})
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in _challenge(response)


def test_missing_scope_gets_the_step_up_403(example: ExampleServer, keycloak: Keycloak) -> None:
    response = _call(example, keycloak.service_token("mcp:read"), "get-weather-alerts", {})
    assert response.status_code == 403, response.text
    challenge = _challenge(response)
    assert 'error="insufficient_scope"' in challenge
    assert "mcp:admin" in challenge


def test_the_other_real_idps_token_is_refused(
    example: ExampleServer, idp: AuthorizationServer
) -> None:
    token = idp.token("mcp:read mcp:admin", resource=example.mcp_url)
    response = _call(example, token, "get-weather", {"city": "Oslo"})
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in _challenge(response)
