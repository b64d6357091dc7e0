"""Fixtures of the resource-server layer tests.

Keys, tokens and the loopback JWKS server are the core suite's own helpers (``jose_mint``,
``jwks_server``: ``cryptography``-signed tokens, a real HTTP server), reused here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from gopher_mcp_python.auth import Authenticator, ResourceServerConfig, ScopePolicy
from jose_mint import SigningKey, generate_key, jwks
from jwks_server import JwksServer, serve_jwks

ISSUER = "https://idp.test/realms/mcp"
SERVER_URL = "http://127.0.0.1:3001"
RESOURCE = SERVER_URL + "/mcp"

POLICY = ScopePolicy(
    tools={"get-forecast": ("mcp:read",), "get-weather-alerts": ("mcp:admin",)},
    methods={"resources/read": ("mcp:read",)},
)


def claims(
    issuer: str,
    audience: str | list[str],
    *,
    scope: str = "",
    sub: str = "user-1",
    lifetime: int = 300,
    **extra: Any,
) -> dict[str, Any]:
    """Typical access-token claims, valid from now for ``lifetime`` seconds."""
    now = int(time.time())
    out: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
    }
    if scope:
        out["scope"] = scope
    out.update(extra)
    return out


@pytest.fixture(scope="session")
def rs_key() -> SigningKey:
    return generate_key("RS256", "rs-1")


@pytest.fixture(scope="session")
def es_key() -> SigningKey:
    return generate_key("ES256", "es-1")


@pytest.fixture
def jwks_server(rs_key: SigningKey, es_key: SigningKey) -> Iterator[JwksServer]:
    """A JWKS server of this test only (the suite-wide one is session-scoped)."""
    with serve_jwks(jwks(rs_key, es_key)) as server:
        yield server


def make_config(jwks_uri: str, **overrides: Any) -> ResourceServerConfig:
    settings: dict[str, Any] = {
        "server_url": SERVER_URL,
        "issuer": ISSUER,
        "jwks_uri": jwks_uri,
        "scopes_supported": ("openid", "mcp:read", "mcp:admin"),
        "scope_policy": POLICY,
        "client_options": {"request_timeout": "2"},
    }
    settings.update(overrides)
    return ResourceServerConfig(**settings)


@pytest.fixture
def config(jwks_server: JwksServer) -> ResourceServerConfig:
    return make_config(jwks_server.url)


@pytest.fixture
def authenticator(config: ResourceServerConfig) -> Iterator[Authenticator]:
    auth = Authenticator(config)
    yield auth
    auth.close()
