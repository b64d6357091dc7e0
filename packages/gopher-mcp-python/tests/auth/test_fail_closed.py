"""The adapters fail closed under real servers: no spelling of a protected path skips auth.

Regression tests of an authentication bypass: ``AuthMiddleware`` used to authenticate only a
``PATH_INFO`` equal to ``/mcp``, while Werkzeug's router also sends ``//mcp``, ``///mcp`` (and,
on its own server, ``/%2fmcp``) to the ``/mcp`` view; ``ASGIAuthMiddleware`` likewise let
``/mcp/anything`` through to a Starlette ``Mount("/mcp", …)``. Each request here goes over a real
socket to gunicorn, uvicorn or Werkzeug's server, with the path sent exactly as written.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest

from jose_mint import SigningKey, jwks, mint

from .conftest import ISSUER, SERVER_URL, claims
from .servers.process import serve

PATHS = (
    "/mcp",
    "//mcp",
    "///mcp",
    "/%2fmcp",
    "/%2Fmcp",
    "/%2F%2Fmcp",
    "/%2f%2fmcp",
    "/mcp/",
    "/mcp//",
    "//mcp/",
    "/mcp/x",
    "/mcp/x/y",
    "/mcp/%2e%2e/mcp",
    "/./mcp",
    "/x/../mcp",
    "/mcp;x",
    "/mcp%20",
    "/MCP",
    "/health/../mcp",
    "/.well-known/oauth-protected-resource/../../mcp",
)
SERVERS = ("gunicorn", "uvicorn", "werkzeug")
CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get-weather-alerts"}}


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    from jose_mint import generate_key

    return generate_key("RS256", "fail-closed-1")


@pytest.fixture(scope="module", params=SERVERS)
def server(request: pytest.FixtureRequest, signing_key: SigningKey) -> Iterator[tuple[str, int]]:
    env = {
        "GOPHER_TEST_JWKS": json.dumps(jwks(signing_key)),
        "GOPHER_TEST_ISSUER": ISSUER,
        "GOPHER_TEST_SERVER_URL": SERVER_URL,
    }
    with serve(request.param, env) as port:
        yield request.param, port


def _send(port: int, method: str, path: str, token: str | None = None) -> tuple[int, Any, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        body = json.dumps(CALL) if method == "POST" else None
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        return response.status, parsed, response.getheader("WWW-Authenticate") or ""
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("path", PATHS)
def test_no_token_never_reaches_a_protected_view(
    server: tuple[str, int], path: str, method: str
) -> None:
    _, port = server
    status, body, challenge = _send(port, method, path)
    assert status == 401, (path, status, body)
    assert not (isinstance(body, dict) and body.get("ran")), body
    assert challenge.startswith("Bearer resource_metadata=")


@pytest.mark.parametrize("path", PATHS)
def test_scope_policy_applies_to_every_spelling(
    server: tuple[str, int], signing_key: SigningKey, path: str
) -> None:
    # an mcp:read token must not call a tool that needs mcp:admin through another spelling of
    # the path: the tool scope policy is applied to every authenticated request, not to /mcp only
    _, port = server
    token = mint(signing_key, claims(ISSUER, SERVER_URL + "/mcp", scope="mcp:read", sub="r"))
    status, body, challenge = _send(port, "POST", path, token)
    assert status == 403, (path, status, body)
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="mcp:read mcp:admin"' in challenge  # the granted scope kept, the missing one


def test_a_valid_token_reaches_the_view_as_its_subject(
    server: tuple[str, int], signing_key: SigningKey
) -> None:
    kind, port = server
    token = mint(signing_key, claims(ISSUER, SERVER_URL + "/mcp", scope="mcp:admin", sub="adm"))
    path = "/mcp/tools" if kind == "uvicorn" else "/mcp"  # Starlette redirects /mcp to /mcp/
    status, body, _ = _send(port, "POST", path, token)
    assert (status, body) == (200, {"ran": True, "sub": "adm"})


def test_public_paths_are_exact(server: tuple[str, int]) -> None:
    kind, port = server
    # the metadata document is public; what the app answers there does not matter (404 here),
    # only that the middleware did not ask for a token
    status, _, _ = _send(port, "GET", "/.well-known/oauth-protected-resource/mcp")
    assert status != 401
    if kind != "uvicorn":  # /health exists in the Flask app, declared public
        assert _send(port, "GET", "/health")[0] == 200
        assert _send(port, "POST", "/health")[0] == 401  # public for reads only
    variants = ["/health/", "/health%20", "/.well-known/oauth-protected-resource/mcp/x"]
    if kind != "werkzeug":  # Werkzeug's server itself turns "//health" into PATH_INFO "/health"
        variants.append("//health")
    for variant in variants:
        assert _send(port, "GET", variant)[0] == 401, variant
