"""GopherTokenVerifier with the real ``mcp`` SDK (its bearer backend and AccessToken)."""

from __future__ import annotations

import socket

import anyio
import httpx
import pytest
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.provider import AccessToken
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gopher_mcp_python.auth import Authenticator, ResourceServerConfig, ScopePolicy
from gopher_mcp_python.auth.mcp_sdk import (
    GopherTokenVerifier,
    TokenVerificationUnavailable,
    auth_settings,
    protected_app,
)
from jose_mint import SigningKey, mint
from jwks_server import JwksServer

from .conftest import ISSUER, RESOURCE, claims, make_config


def test_verify_token(authenticator: Authenticator, rs_key: SigningKey) -> None:
    verifier = GopherTokenVerifier(authenticator)
    token = mint(rs_key, claims(ISSUER, RESOURCE, sub="s", scope="mcp:read", client_id="c"))

    async def scenario() -> None:
        access = await verifier.verify_token(token)
        assert isinstance(access, AccessToken)
        assert access.token == token
        assert access.client_id == "c"
        assert access.scopes == ["mcp:read"]
        assert access.resource == RESOURCE
        assert access.subject == "s"
        assert access.expires_at is not None
        assert access.claims is not None
        assert access.claims["iss"] == ISSUER
        assert await verifier.verify_token("junk") is None
        wrong_aud = mint(rs_key, claims(ISSUER, "https://other/mcp"))
        assert (
            await GopherTokenVerifier(authenticator, offload=False).verify_token(wrong_aud) is None
        )

    anyio.run(scenario)


def test_unavailable_keys_raise(rs_key: SigningKey) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Authenticator(make_config(f"http://127.0.0.1:{port}/jwks")) as auth:
        verifier = GopherTokenVerifier(auth)

        async def scenario() -> None:
            with pytest.raises(TokenVerificationUnavailable, match="JWKS"):
                await verifier.verify_token(mint(rs_key, claims(ISSUER, RESOURCE)))

        anyio.run(scenario)


def test_through_the_sdk_bearer_middleware(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    async def whoami(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = JSONResponse(
            {"client": request.user.access_token.client_id, "scopes": request.user.scopes}
        )
        await response(scope, receive, send)

    endpoint = RequireAuthMiddleware(
        whoami, required_scopes=["mcp:read"], resource_metadata_url=None
    )
    app = Starlette(
        routes=[Route("/mcp", endpoint=endpoint, methods=["POST"])],
        middleware=[
            Middleware(
                AuthenticationMiddleware,
                backend=BearerAuthBackend(GopherTokenVerifier(authenticator)),
            )
        ],
    )

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            good = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read", azp="web"))
            response = await client.post("/mcp", headers={"Authorization": f"Bearer {good}"})
            assert response.status_code == 200
            assert response.json() == {"client": "web", "scopes": ["mcp:read"]}
            bad = mint(rs_key, claims("https://evil", RESOURCE, scope="mcp:read"))
            response = await client.post("/mcp", headers={"Authorization": f"Bearer {bad}"})
            assert response.status_code == 401
            weak = mint(rs_key, claims(ISSUER, RESOURCE))
            response = await client.post("/mcp", headers={"Authorization": f"Bearer {weak}"})
            assert response.status_code == 403

    anyio.run(scenario)


def test_the_verifier_applies_the_policys_default_scopes(
    jwks_server: JwksServer, rs_key: SigningKey
) -> None:
    config = make_config(jwks_server.url, scope_policy=ScopePolicy(default="mcp:admin"))
    with Authenticator(config) as auth:
        verifier = GopherTokenVerifier(auth, offload=False)
        reader = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read"))
        admin = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:admin"))
        assert anyio.run(verifier.verify_token, reader) is None
        assert isinstance(anyio.run(verifier.verify_token, admin), AccessToken)


def test_expires_at_carries_the_clock_skew(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    """The SDK refuses expires_at < now with no leeway: a token the engine accepted must pass."""
    token_claims = claims(ISSUER, RESOURCE, lifetime=-30)  # 30 s past exp, inside the 60 s skew
    access = anyio.run(
        GopherTokenVerifier(authenticator, offload=False).verify_token, mint(rs_key, token_claims)
    )
    assert isinstance(access, AccessToken)
    assert access.expires_at == token_claims["exp"] + authenticator.config.clock_skew


def test_auth_settings_keep_the_issuer_and_leave_the_audience_to_the_engine(
    config: ResourceServerConfig,
) -> None:
    settings = auth_settings(config)
    assert settings.validate_token_resource is False
    assert settings.required_scopes == list(config.scope_policy.default)
    assert str(settings.resource_server_url) == config.resource


def test_protected_app_refuses_a_server_with_auth_already(authenticator: Authenticator) -> None:
    class Settings:
        auth = object()

    class Server:
        settings = Settings()
        _token_verifier = None

    with pytest.raises(ValueError, match="already has authentication"):
        protected_app(Server(), authenticator.config, authenticator=authenticator)
    with pytest.raises(TypeError, match="FastMCP"):
        protected_app(object(), authenticator.config, authenticator=authenticator)
