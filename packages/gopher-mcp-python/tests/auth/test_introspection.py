"""Opaque tokens through the Python API and the adapters, against a real loopback RFC 7662
endpoint and the real native engine: the same ``validate_and_extract``, the same contexts,
401 for inactive tokens, 503 + Retry-After when the endpoint fails, the secret nowhere."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from flask import Flask, Response, jsonify
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from werkzeug.test import Client

from gopher_mcp_python.auth import (
    AuthContext,
    Authenticator,
    Challenge,
    Introspection,
    ResourceServerConfig,
)
from gopher_mcp_python.auth.asgi import STATE_KEY, ASGIAuthMiddleware
from gopher_mcp_python.auth.flask import FlaskAuth, current_flask_auth
from gopher_mcp_python.auth.mcp_sdk import GopherTokenVerifier
from gopher_mcp_python.auth.wsgi import ENVIRON_KEY, AuthMiddleware
from gopher_mcp_python.ffi.auth import GopherAuthClient, GopherValidationOptions
from introspection_server import IntrospectionServer, serve_introspection
from jose_mint import SigningKey, mint
from jwks_server import JwksServer

from .conftest import ISSUER, RESOURCE, claims, make_config

SECRET = "hunter2-Very-Secret"  # noqa: S105 (a test credential)
TOKEN = "opaque-abc.123"  # noqa: S105 (a test token)


def active(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "active": True,
        "sub": "opaque-user",
        "client_id": "mcp-client",
        "scope": "mcp:read",
        "aud": RESOURCE,
        "iss": ISSUER,
        "exp": int(time.time()) + 600,
        "token_type": "Bearer",
    }
    body.update(extra)
    return body


@pytest.fixture
def idp() -> Iterator[IntrospectionServer]:
    def answer(form: dict[str, str]) -> dict[str, Any] | int:
        if form.get("token") == TOKEN:
            return active()
        return {"active": False}

    with serve_introspection(answer) as server:
        yield server


def introspecting(
    jwks_server: JwksServer, idp: IntrospectionServer, **settings: Any
) -> ResourceServerConfig:
    return make_config(
        jwks_server.url,
        introspection=Introspection(
            endpoint=idp.url, client_id="rs", client_secret=SECRET, **settings
        ),
    )


@pytest.fixture
def opaque_auth(jwks_server: JwksServer, idp: IntrospectionServer) -> Iterator[Authenticator]:
    with Authenticator(introspecting(jwks_server, idp)) as auth:
        yield auth


def test_the_secret_is_not_in_repr_and_settings_are_checked() -> None:
    settings = Introspection(client_id="rs", client_secret=SECRET)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    for bad in (
        {"client_id": ""},
        {"client_id": "rs", "mode": "sometimes"},
        {"client_id": "rs", "auth_method": "private_key_jwt"},
        {"client_id": "rs", "cache_ttl": -1},
        {"client_id": "rs", "max_concurrent": 0},
        {"client_id": "rs", "endpoint": "ftp://x/"},
    ):
        with pytest.raises(ValueError, match="Introspection") as info:
            Introspection(**bad, client_secret=SECRET)
        assert SECRET not in str(info.value)
    with pytest.raises(ValueError, match=r"ResourceServerConfig\.introspection"):
        make_config(
            "http://127.0.0.1:1/jwks",
            introspection=settings,
            client_options={"introspection_mode": "always"},
        )


def test_validate_and_extract_works_the_same(idp: IntrospectionServer) -> None:
    with GopherAuthClient("", ISSUER) as client, GopherValidationOptions() as options:
        client.set_introspection(idp.url, "rs", SECRET)
        options.set_audience(RESOURCE).set_scopes(["mcp:read"])
        result, payload = client.validate_and_extract(TOKEN, options)
        assert result.valid, result.error_message
        assert payload is not None
        assert payload.subject == "opaque-user"
        assert payload.client_id == "mcp-client"
        assert payload.scope_items == ("mcp:read",)
        assert payload.issuer == ISSUER
        assert payload.claims["token_type"] == "Bearer"  # noqa: S105
        assert "active" not in payload.claims
        refused = client.validate_token("revoked-token", options)
        assert not refused.valid
        assert refused.error_code == -1000
    form, authorization = idp.requests[0]
    assert form["token"] == TOKEN
    assert form["token_type_hint"] == "access_token"  # noqa: S105
    assert authorization.startswith("Basic ")


def test_authenticator_contexts_and_refusals(
    opaque_auth: Authenticator, idp: IntrospectionServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    result = opaque_auth.authenticate({"Authorization": f"Bearer {TOKEN}"})
    assert isinstance(result, AuthContext)
    assert (result.subject, result.client_id, result.scopes) == (
        "opaque-user",
        "mcp-client",
        ("mcp:read",),
    )
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get-forecast"}}
    assert isinstance(
        opaque_auth.authenticate({"Authorization": f"Bearer {TOKEN}"}, call), AuthContext
    )
    assert idp.request_count == 1, "cached: one introspection for three checks"
    refused = opaque_auth.authenticate({"Authorization": "Bearer revoked-token"})
    assert isinstance(refused, Challenge)
    assert refused.status == 401
    idp.answer = lambda form: 500
    down = opaque_auth.authenticate({"Authorization": "Bearer another-token"})
    assert isinstance(down, Challenge)
    assert down.status == 503
    assert dict(down.headers)["Retry-After"]
    idp.answer = lambda form: 401
    down = opaque_auth.authenticate({"Authorization": "Bearer third-token"})
    assert isinstance(down, Challenge)
    assert down.status == 503
    assert SECRET not in json.dumps(down.body)
    assert SECRET not in caplog.text
    assert "third-token" not in caplog.text


def test_jwts_are_still_verified_locally(
    opaque_auth: Authenticator, idp: IntrospectionServer, rs_key: SigningKey
) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, sub="jwt-user"))
    result = opaque_auth.authenticate({"Authorization": f"Bearer {token}"})
    assert isinstance(result, AuthContext)
    assert result.subject == "jwt-user"
    assert idp.request_count == 0


def test_the_inline_rule_never_introspects_on_the_event_loop(
    jwks_server: JwksServer, idp: IntrospectionServer
) -> None:
    with Authenticator(introspecting(jwks_server, idp, cache_ttl=0)) as auth:
        assert isinstance(auth.verify_token(TOKEN), AuthContext)
        assert not auth.is_verified_before(TOKEN), "no cache: every check may need the network"
    with Authenticator(introspecting(jwks_server, idp, cache_ttl=60)) as auth:
        assert not auth.is_verified_before(TOKEN)
        assert isinstance(auth.verify_token(TOKEN), AuthContext)
        assert auth.is_verified_before(TOKEN)
    with Authenticator(introspecting(jwks_server, idp, cache_ttl=1)) as auth:
        assert isinstance(auth.verify_token(TOKEN), AuthContext)
        assert not auth.is_verified_before(TOKEN), "the note ends before the cached answer"


def test_flask_and_wsgi_accept_an_opaque_token(opaque_auth: Authenticator) -> None:
    app = Flask(__name__)
    flask_auth = FlaskAuth(opaque_auth)

    @app.post("/mcp")
    @flask_auth.required
    def mcp() -> Response:
        ctx = current_flask_auth()
        assert ctx is not None
        return jsonify(sub=ctx.subject)

    client = app.test_client()
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    ok = client.post("/mcp", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert ok.get_json() == {"sub": "opaque-user"}
    assert client.post("/mcp", json=body, headers={"Authorization": "Bearer x"}).status_code == 401

    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ[ENVIRON_KEY].subject.encode()]

    wsgi = Client(AuthMiddleware(inner, opaque_auth))
    response = wsgi.post("/mcp", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.data == b"opaque-user"


def test_asgi_and_the_sdk_verifier_accept_an_opaque_token(opaque_auth: Authenticator) -> None:
    async def endpoint(request: Request) -> JSONResponse:
        return JSONResponse({"sub": getattr(request.state, STATE_KEY).subject})

    app = ASGIAuthMiddleware(
        Starlette(routes=[Route("/mcp", endpoint, methods=["POST"])]), opaque_auth, offload=True
    )

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3001") as c:
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
            ok = await c.post("/mcp", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
            assert ok.status_code == 200
            assert ok.json() == {"sub": "opaque-user"}
            no = await c.post("/mcp", json=body, headers={"Authorization": "Bearer nope"})
            assert no.status_code == 401
        access = await GopherTokenVerifier(opaque_auth).verify_token(TOKEN)
        assert access is not None
        assert access.client_id == "mcp-client"
        assert access.scopes == ["mcp:read"]
        assert await GopherTokenVerifier(opaque_auth).verify_token("nope") is None

    anyio.run(scenario)
